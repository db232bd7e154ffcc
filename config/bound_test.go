package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

func TestBoundPool(t *testing.T) {
	def, err := sotopia.Strategies(sotopia.DefaultStrategyVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, bound := range []string{"", `{}`, `{"strategy_version":"` + sotopia.DefaultStrategyVersion + `"}`} {
		pool, err := BoundPool(json.RawMessage(bound))
		if err != nil || len(pool) != len(def) || pool[0].ID != def[0].ID {
			t.Errorf("%q: %d arms, %v; want the default pool (%d arms)", bound, len(pool), err, len(def))
		}
	}
	for _, c := range []struct{ bound, want string }{
		{`{"strategy_version":"v99"}`, `strategy_version "v99"`},
		{`{"strategy_version":`, "stored configuration cannot be read"},
		{`{"strategy_version":7}`, "stored configuration cannot be read"},
	} {
		if _, err := BoundPool(json.RawMessage(c.bound)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.bound, err, c.want)
		}
	}
}

func TestBoundRole(t *testing.T) {
	r, err := BoundRole(json.RawMessage(`{"bandit_type":"static","optimize":"p1","strategy_version":"v3","policy_in":"ck","policy_freeze":true,"policy":{"static_arm":4}}`))
	if err != nil || r.Bandit != "static" || r.Optimize != "p1" || r.StrategyVersion != "v3" || r.PolicyIn != "ck" || !r.PolicyFreeze || r.Policy.StaticArm != 4 {
		t.Fatalf("%+v, %v", r, err)
	}
	if _, err := BoundRole(json.RawMessage(`{"policy_freeze":"yes"}`)); err == nil || !strings.Contains(err.Error(), "bound configuration: ") {
		t.Fatalf("a malformed configuration: %v", err)
	}
}
