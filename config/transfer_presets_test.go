package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

// artifactHardScenarios is HARD_SCENARIO_IDS of the artifact's
// experiments/dynamic_observation/lib/scenario_splits.py (Babylonehy/ALSO @ 4f6188a): split A
// trains on the first 7 and tests on the last 7, split B the other way round.
var artifactHardScenarios = []string{
	"01H7VFHNV13MHN97GAH73E3KM8", "01H7VFHN5WVC5HKKVBHZBA553R", "01H7VFHN9W0WAFZCBT09PKJJNK", "01H7VFHPDZVVCDZR3AARA547CY",
	"01H7VFHPQQQY6H4DNC6NBQ8XTG", "01H7VFHN7WJK7VWVRZZTQ6DX9T", "01H7VFHPS5WJW2694R1MNC8JFY", "01H7VFHNN7XTR99319DS8KZCQM",
	"01H7VFHQ11NAMZS4A2RDGDB01V", "01H7VFHPSWGDGEYRP63H2DJKV0", "01H7VFHNF4G18PC9JHGRC8A1R6", "01H7VFHNNYH3W0VRWVY178K2TK",
	"01H7VFHP8AN5643B0NR0NP00VE", "01H7VFHN7A1ZX5KSMT2YN9RXC4",
}

// TestGeneralizationPresets: each split trains on its 7 scenarios and tests on the other 7, in the
// artifact's order, each scenario's task the one with the smallest pk (its env_ids_to_combo_ids);
// the three test modes differ from the cold start only by their mode, and from training only by
// the tasks and the mode.
func TestGeneralizationPresets(t *testing.T) {
	ds := sotopia.MustEmbedded()
	taskOf := func(envs []string) []string {
		var out []string
		for _, env := range envs {
			ts := slices.Clone(ds.TasksByEnv[env])
			if len(ts) == 0 {
				t.Fatalf("environment %s has no task", env)
			}
			slices.SortFunc(ts, func(a, b sotopia.Task) int { return strings.Compare(a.PK, b.PK) })
			out = append(out, ts[0].PK)
		}
		return out
	}
	first, last := artifactHardScenarios[:7], artifactHardScenarios[7:]
	for _, sp := range []struct {
		name        string
		train, test []string
	}{{"a", first, last}, {"b", last, first}} {
		dir := "../experiments/paper/generalization/"
		train, err := LoadRun(dir + "split_" + sp.name + "-train.toml")
		if err != nil {
			t.Fatal(err)
		}
		if want := taskOf(sp.train); !slices.Equal(train.Tasks, want) {
			t.Errorf("split %s train tasks %v, want %v", sp.name, train.Tasks, want)
		}
		if train.PolicyOut == "" || train.PolicyIn != "" || !train.IsSim() || train.Sim.SharedPref <= 0 {
			t.Errorf("split %s train: policy_out %q, policy_in %q, sim %v, sharedpref %v; want a fresh policy saved, offline, with a shared preference",
				sp.name, train.PolicyOut, train.PolicyIn, train.IsSim(), train.Sim.SharedPref)
		}
		exp, err := LoadExperiment(dir + "split_" + sp.name + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		cells, err := exp.Cells()
		if err != nil {
			t.Fatal(err)
		}
		modes := []struct {
			suffix     string
			in, freeze bool
		}{{"baseline", false, false}, {"test", true, true}, {"finetune", true, false}}
		if len(cells) != len(modes) {
			t.Fatalf("split %s: %d cells, want baseline, test and finetune", sp.name, len(cells))
		}
		trainID, _ := train.Identity()
		for i, m := range modes {
			r := cells[i].Run
			if want := fmt.Sprintf("generalization-%s-%s", sp.name, m.suffix); cells[i].Tag != want {
				t.Errorf("cell %d: tag %s, want %s", i+1, cells[i].Tag, want)
			}
			if want := taskOf(sp.test); !slices.Equal(r.Tasks, want) {
				t.Errorf("split %s %s tasks %v, want %v", sp.name, m.suffix, r.Tasks, want)
			}
			if (r.PolicyIn == train.PolicyOut) != m.in || (r.PolicyIn == "") == m.in || r.PolicyFreeze != m.freeze {
				t.Errorf("split %s %s: policy_in %q, policy_freeze %v; want in=%v (from %q), freeze=%v", sp.name, m.suffix, r.PolicyIn, r.PolicyFreeze, m.in, train.PolicyOut, m.freeze)
			}
			id, _ := r.Identity()
			diffs, err := ConfigDiff(trainID.Config, id.Config)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				if !slices.ContainsFunc([]string{"policy_in", "policy_freeze"}, func(k string) bool { return strings.HasPrefix(d, k) }) {
					t.Errorf("split %s %s differs from training beyond its mode: %s", sp.name, m.suffix, d)
				}
			}
		}
	}
}

// The strategy analysis holds every arm of its pool fixed, one cell per arm, offline.
func TestStrategyAnalysisPreset(t *testing.T) {
	exp, err := LoadExperiment("../experiments/paper/strategy_analysis.toml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := exp.Cells()
	if err != nil {
		t.Fatal(err)
	}
	pool, err := sotopia.Strategies(cells[0].Run.StrategyVersion)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != len(pool) {
		t.Fatalf("%d cells, want one per arm of %s (%d)", len(cells), cells[0].Run.StrategyVersion, len(pool))
	}
	for i, c := range cells {
		r := c.Run
		if r.Bandit != "static" || r.Optimize != "both" || r.Policy.StaticArm != i || !r.IsSim() || r.Subset != "all" {
			t.Errorf("cell %s: bandit %s, optimize %s, static_arm %d, sim %v, subset %s; want static both arm %d, offline, all tasks",
				c.Label, r.Bandit, r.Optimize, r.Policy.StaticArm, r.IsSim(), r.Subset, i)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("cell %s: %v", c.Label, err)
		}
	}
}
