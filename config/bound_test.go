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
