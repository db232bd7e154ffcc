package sim

import (
	"fmt"
	"math"
	"strings"
)

// Opponent profiles: how the hidden preferences theta move (profiles), or a scripted agent that
// plays by fixed rules (scripted).
const (
	ProfileStatic    = "static"
	ProfileDrifting  = "drifting"
	ProfileSwitching = "switching"
	ProfileAdaptive  = "adaptive"
	ScriptRefuser    = "refuser"
	ScriptStaller    = "staller"
	ScriptLeaver     = "leaver"
)

var (
	profileNames  = []string{ProfileStatic, ProfileDrifting, ProfileSwitching, ProfileAdaptive}
	scriptedNames = []string{ScriptRefuser, ScriptStaller, ScriptLeaver}
)

// Profiles lists every accepted Config.Opponent: the four preference profiles, then the three
// scripted agents.
func Profiles() []string {
	return append(append([]string(nil), profileNames...), scriptedNames...)
}

// IsScripted reports whether an opponent name is a scripted agent rather than a profile.
func IsScripted(opponent string) bool {
	for _, s := range scriptedNames {
		if s == opponent {
			return true
		}
	}
	return false
}

// Config sets the simulated world. The zero value is invalid; start from DefaultConfig.
type Config struct {
	// Dim is the hashed embedding dimension of arm features and dialogue contexts.
	Dim int
	// Opponent is a profile or scripted agent name (see Profiles).
	Opponent string
	// SwitchEvery is k of the switching profile: theta jumps every k turns.
	SwitchEvery int
	// Drift is the length of the drifting profile's per-turn random step before renormalising.
	Drift float64
	// AdaptAlpha and AdaptMemory are alpha and m of the adaptive profile.
	AdaptAlpha  float64
	AdaptMemory int
	// Noise is the standard deviation of the observed reward around its expectation.
	Noise float64
	// Beta weighs the own arm, Lambda the trust, Kappa the magnitude of the opponent-arm term
	// (its sign comes from the scenario source).
	Beta, Lambda, Kappa float64
	// OffsetSD is the standard deviation of the per-task, per-seat logit offset c_i.
	OffsetSD float64
	// TrustRate and GoalRate scale how trust and goal progress move with the rewards seen.
	TrustRate, GoalRate float64
	// LeaveTrust is the trust floor below which an acting (non-scripted) seat leaves, once at
	// least LeaveAfter turns were played. 0 disables trust-based leaving.
	LeaveTrust float64
	LeaveAfter int
	// LeaverTurns is the own turn on which the scripted leaver leaves.
	LeaverTurns int
	// NonVerbalRate is the probability that a simulated agent gestures or acts instead of speaking.
	NonVerbalRate float64
	// SharedPref is the share s in [0, 1] of every seat's initial theta that is common to all
	// scenarios: theta_i(1) = normalise(sqrt(s) shared_i + sqrt(1-s) own_i), shared_i drawn once for
	// the world (not per task), so a policy learnt on some scenarios transfers to others exactly as
	// far as s allows. 0 (the default) keeps every scenario's preference its own.
	SharedPref float64
}

// DefaultConfig is the documented default world (see the package doc for the reasons).
func DefaultConfig() Config {
	return Config{
		Dim:           DefaultDim,
		Opponent:      ProfileStatic,
		SwitchEvery:   5,
		Drift:         0.3,
		AdaptAlpha:    1,
		AdaptMemory:   3,
		Noise:         0.1,
		Beta:          4,
		Lambda:        1,
		Kappa:         1,
		OffsetSD:      0.3,
		TrustRate:     0.1,
		GoalRate:      0.08,
		LeaveTrust:    0.15,
		LeaveAfter:    4,
		LeaverTurns:   2,
		NonVerbalRate: 0.1,
	}
}

// Validate reports the first invalid field by name.
func (c Config) Validate() error {
	known := false
	for _, p := range Profiles() {
		known = known || p == c.Opponent
	}
	if !known {
		return fmt.Errorf("sim config: Opponent %q unknown (want one of %s)", c.Opponent, strings.Join(Profiles(), ", "))
	}
	checks := []struct {
		name string
		ok   bool
		want string
		got  any
	}{
		{"Dim", c.Dim >= 1, "at least 1", c.Dim},
		{"SwitchEvery", c.SwitchEvery >= 1, "at least 1", c.SwitchEvery},
		{"Drift", finite(c.Drift) && c.Drift >= 0, "finite and >= 0", c.Drift},
		{"AdaptAlpha", finite(c.AdaptAlpha) && c.AdaptAlpha >= 0, "finite and >= 0", c.AdaptAlpha},
		{"AdaptMemory", c.AdaptMemory >= 1, "at least 1", c.AdaptMemory},
		{"Noise", finite(c.Noise) && c.Noise >= 0, "finite and >= 0", c.Noise},
		{"Beta", finite(c.Beta), "finite", c.Beta},
		{"Lambda", finite(c.Lambda), "finite", c.Lambda},
		{"Kappa", finite(c.Kappa) && c.Kappa >= 0, "finite and >= 0 (its sign comes from the scenario source)", c.Kappa},
		{"OffsetSD", finite(c.OffsetSD) && c.OffsetSD >= 0, "finite and >= 0", c.OffsetSD},
		{"TrustRate", finite(c.TrustRate) && c.TrustRate >= 0 && c.TrustRate <= 1, "in [0, 1]", c.TrustRate},
		{"GoalRate", finite(c.GoalRate) && c.GoalRate >= 0 && c.GoalRate <= 1, "in [0, 1]", c.GoalRate},
		{"LeaveTrust", finite(c.LeaveTrust) && c.LeaveTrust >= 0 && c.LeaveTrust < 1, "in [0, 1)", c.LeaveTrust},
		{"LeaveAfter", c.LeaveAfter >= 0, ">= 0", c.LeaveAfter},
		{"LeaverTurns", c.LeaverTurns >= 1, "at least 1", c.LeaverTurns},
		{"NonVerbalRate", finite(c.NonVerbalRate) && c.NonVerbalRate >= 0 && c.NonVerbalRate <= 1, "in [0, 1]", c.NonVerbalRate},
		{"SharedPref", finite(c.SharedPref) && c.SharedPref >= 0 && c.SharedPref <= 1, "in [0, 1]", c.SharedPref},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("sim config: %s must be %s, got %v", ch.name, ch.want, ch.got)
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
