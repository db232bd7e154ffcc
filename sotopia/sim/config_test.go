package sim

import (
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for _, p := range Profiles() {
		c := DefaultConfig()
		c.Opponent = p
		if err := c.Validate(); err != nil {
			t.Errorf("profile %s: %v", p, err)
		}
	}
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"Opponent", func(c *Config) { c.Opponent = "sneaky" }},
		{"Dim", func(c *Config) { c.Dim = 0 }},
		{"SwitchEvery", func(c *Config) { c.SwitchEvery = 0 }},
		{"Drift", func(c *Config) { c.Drift = -0.1 }},
		{"AdaptAlpha", func(c *Config) { c.AdaptAlpha = math.NaN() }},
		{"AdaptMemory", func(c *Config) { c.AdaptMemory = 0 }},
		{"Noise", func(c *Config) { c.Noise = math.Inf(1) }},
		{"Beta", func(c *Config) { c.Beta = math.NaN() }},
		{"Lambda", func(c *Config) { c.Lambda = math.Inf(-1) }},
		{"Kappa", func(c *Config) { c.Kappa = -1 }},
		{"OffsetSD", func(c *Config) { c.OffsetSD = -1 }},
		{"TrustRate", func(c *Config) { c.TrustRate = 2 }},
		{"GoalRate", func(c *Config) { c.GoalRate = -0.5 }},
		{"LeaveTrust", func(c *Config) { c.LeaveTrust = 1 }},
		{"LeaveAfter", func(c *Config) { c.LeaveAfter = -1 }},
		{"LeaverTurns", func(c *Config) { c.LeaverTurns = 0 }},
		{"NonVerbalRate", func(c *Config) { c.NonVerbalRate = 1.5 }},
		{"SharedPref", func(c *Config) { c.SharedPref = 1.5 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v does not name the field", tc.field, err)
		}
	}
}

func TestProfiles(t *testing.T) {
	want := []string{"static", "drifting", "switching", "adaptive", "refuser", "staller", "leaver"}
	got := Profiles()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Profiles() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Profiles()[0] != "static" {
		t.Error("Profiles returns shared state")
	}
	for _, p := range want {
		if IsScripted(p) != (p == "refuser" || p == "staller" || p == "leaver") {
			t.Errorf("IsScripted(%s) wrong", p)
		}
	}
}
