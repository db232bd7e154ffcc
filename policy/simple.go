package policy

// static never optimises: it always plays arm 0, the unmodified background (the paper's Original).
type static struct{}

func newStatic(Params) (Policy, error)               { return static{}, nil }
func (static) Name() string                          { return "static" }
func (static) Update(Feedback) error                 { return nil }
func (static) Select(int, []float64) (Choice, error) { return Choice{Arm: 0, Prob: 1}, nil }

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
