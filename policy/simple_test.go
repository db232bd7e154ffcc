package policy

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestStaticPlaysItsArm: static with static_arm k selects k every turn whatever the rewards, and
// its seats start on k; the default keeps arm 0 (the paper's Original).
func TestStaticPlaysItsArm(t *testing.T) {
	for _, arm := range []int{0, 3, 4} {
		cfg := DefaultConfig()
		cfg.StaticArm = arm
		pol := newTestPolicy(t, "static", 5, cfg, 1)
		for turn := range 6 {
			c := mustSelect(t, pol, turn)
			if c.Arm != arm || c.Prob != 1 {
				t.Fatalf("static_arm %d, turn %d: %+v", arm, turn, c)
			}
			mustUpdate(t, pol, turn, c.Arm, float64(turn%2))
		}
		if got := StartArm("static", cfg); got != arm {
			t.Errorf("StartArm(static, %d) = %d", arm, got)
		}
		if got := StartArm("ucb1", cfg); got != 0 {
			t.Errorf("StartArm(ucb1) = %d: only static starts off arm 0", got)
		}
	}
}

func TestStaticArmOutsideThePool(t *testing.T) {
	for _, tc := range []struct {
		arm  int
		want string
	}{{5, "static_arm = 5: the pool has 5 arms (0 to 4)"}, {-1, "static_arm = -1: must be >= 0"}} {
		cfg := DefaultConfig()
		cfg.StaticArm = tc.arm
		_, err := New("static", Params{Arms: testArms(5), Rand: rand.New(rand.NewPCG(1, 1)), Config: cfg})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("static_arm %d: error %v, want %q", tc.arm, err, tc.want)
		}
	}
}
