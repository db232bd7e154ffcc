package config

import (
	"strings"
	"testing"
)

func TestStaticArmValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(r *Run)
		want string // "" = valid
	}{
		{"default", func(r *Run) {}, ""},
		{"static arm 12 of v3", func(r *Run) { r.Bandit, r.Policy.StaticArm = "static", 12 }, ""},
		{"one seat", func(r *Run) { r.Bandit, r.Optimize, r.Policy.StaticArm = "static", "p2", 3 }, ""},
		{"past the pool", func(r *Run) { r.Bandit, r.Policy.StaticArm = "static", 13 }, "static_arm = 13: strategy_version v3 has 13 arms (0 to 12)"},
		{"negative", func(r *Run) { r.Bandit, r.Policy.StaticArm = "static", -1 }, "static_arm = -1: must be >= 0"},
		{"another bandit", func(r *Run) { r.Bandit, r.Policy.StaticArm = "exp3", 2 }, `only bandit_type static plays a fixed arm, not "exp3"`},
		{"no optimised seat", func(r *Run) { r.Bandit, r.Optimize, r.Policy.StaticArm = "static", "none", 2 }, "optimize = none plays arm 0"},
	} {
		r := DefaultRun()
		tc.set(&r)
		err := r.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Runs made before static_arm existed all played arm 0: the default leaves their identity alone
// (the key is absent), another arm is another configuration.
func TestStaticArmZeroKeepsTheFingerprint(t *testing.T) {
	r := DefaultRun()
	r.Bandit = "static"
	id, err := r.Identity()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(id.Config), "static_arm") {
		t.Fatalf("static_arm 0 appears in the identity: %s", id.Config)
	}
	r.Policy.StaticArm = 6
	id6, _ := r.Identity()
	if id6.Fingerprint == id.Fingerprint || !strings.Contains(string(id6.Config), `"static_arm":6`) {
		t.Fatalf("static_arm 6 has the identity of arm 0: %s", id6.Config)
	}
}
