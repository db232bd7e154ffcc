package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

// TestTransferPresets: the generalisation presets train on the first 7 hard_small tasks and test
// on the last 7 in the three modes, with nothing else differing from the cold start but the mode.
func TestTransferPresets(t *testing.T) {
	hard, err := sotopia.MustEmbedded().Subset("hard_small")
	if err != nil {
		t.Fatal(err)
	}
	var pks []string
	for _, task := range hard {
		pks = append(pks, task.PK)
	}
	load := func(name string) Run {
		r, err := LoadRun("../experiments/transfer/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	train, base, test, fine := load("train_a.toml"), load("baseline_b.toml"), load("test_b.toml"), load("finetune_b.toml")
	if !slices.Equal(train.Tasks, pks[:7]) {
		t.Errorf("train_a tasks %v, want the first 7 of hard_small %v", train.Tasks, pks[:7])
	}
	if train.PolicyOut == "" || train.PolicyIn != "" {
		t.Errorf("train_a: policy_out %q, policy_in %q; want it to save a fresh policy", train.PolicyOut, train.PolicyIn)
	}
	if train.Sim.SharedPref <= 0 {
		t.Errorf("train_a: sharedpref %v; without a shared component there is nothing to transfer", train.Sim.SharedPref)
	}
	modes := []struct {
		name   string
		r      Run
		in     bool
		freeze bool
	}{{"baseline_b", base, false, false}, {"test_b", test, true, true}, {"finetune_b", fine, true, false}}
	trainID, _ := train.Identity()
	for _, m := range modes {
		if !slices.Equal(m.r.Tasks, pks[7:]) {
			t.Errorf("%s tasks %v, want the last 7 of hard_small %v", m.name, m.r.Tasks, pks[7:])
		}
		if (m.r.PolicyIn == train.PolicyOut) != m.in || (m.r.PolicyIn == "") == m.in || m.r.PolicyFreeze != m.freeze {
			t.Errorf("%s: policy_in %q, policy_freeze %v; want in=%v (from %q), freeze=%v", m.name, m.r.PolicyIn, m.r.PolicyFreeze, m.in, train.PolicyOut, m.freeze)
		}
		id, _ := m.r.Identity()
		diffs, err := ConfigDiff(trainID.Config, id.Config)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			if !slices.ContainsFunc([]string{"policy_in", "policy_freeze"}, func(k string) bool { return strings.HasPrefix(d, k) }) {
				t.Errorf("%s differs from train_a beyond its mode: %s", m.name, d)
			}
		}
	}
}
