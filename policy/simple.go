package policy

import "fmt"

// static never optimises: it always plays one arm, Config.StaticArm: arm 0, the unmodified
// background, is the paper's Original; another arm holds that strategy fixed (the paper's
// strategy analysis).
type static struct{ arm int }

func newStatic(p Params) (Policy, error) {
	if p.Config.StaticArm >= len(p.Arms) {
		return nil, fmt.Errorf("static_arm = %d: the pool has %d arms (0 to %d)", p.Config.StaticArm, len(p.Arms), len(p.Arms)-1)
	}
	return static{arm: p.Config.StaticArm}, nil
}
func (static) Name() string                            { return "static" }
func (static) Update(Feedback) error                   { return nil }
func (s static) Select(int, []float64) (Choice, error) { return Choice{Arm: s.arm, Prob: 1}, nil }

// StartArm is the arm an optimised seat of the named policy plays before its first selection:
// a static policy's fixed arm (a held strategy is held from the first utterance), otherwise
// arm 0, as the reference starts every seat.
func StartArm(name string, cfg Config) int {
	if HoldsArm(name) {
		return cfg.StaticArm
	}
	return 0
}

// HoldsArm says whether the named policy (or alias) is static, the one that plays a fixed arm.
func HoldsArm(name string) bool {
	in, err := Lookup(name)
	return err == nil && in.Name == "static"
}

// uniform picks an arm uniformly at random every turn.
type uniform struct {
	k   int
	rng interface{ IntN(int) int }
}

func newRandom(p Params) (Policy, error) { return &uniform{k: len(p.Arms), rng: p.Rand}, nil }
func (u *uniform) Name() string          { return "random" }
func (u *uniform) Update(Feedback) error { return nil }
func (u *uniform) Select(int, []float64) (Choice, error) {
	probs := make([]float64, u.k)
	for i := range probs {
		probs[i] = 1 / float64(u.k)
	}
	return Choice{Arm: u.rng.IntN(u.k), Prob: 1 / float64(u.k), Probs: probs}, nil
}
