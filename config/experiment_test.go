package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeExperiment(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exp.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExperimentGridExpandsAxesBundlesAndCells(t *testing.T) {
	path := writeExperiment(t, `name = "g"
[base]
max_episodes = 2
[base.policy]
eta = 3.0

[grid]
bandit_type = ["also", "exp3"]
sim.opponent = ["static", "adaptive"]
knobs = [
  { label = "low", seed = 1 },
  { label = "high", seed = 2, policy = { gamma = 0.2 } },
]

[[cell]]
bandit_type = "linucb"
tag = "hand_named"
`)
	e, err := LoadExperiment(path)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := e.Cells()
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2*2*2+1 {
		t.Fatalf("%d cells, want 9", len(cells))
	}
	// The first axis written varies slowest, the last fastest.
	if c := cells[1]; c.Label != "bandit_type=also sim.opponent=static high" || c.Run.Seed != 2 || c.Run.Policy.Gamma != 0.2 {
		t.Fatalf("cell 1 = %q seed %d gamma %v", c.Label, c.Run.Seed, c.Run.Policy.Gamma)
	}
	if c := cells[7]; c.Run.Bandit != "exp3" || c.Run.Sim.Opponent != "adaptive" || c.Run.Seed != 2 {
		t.Fatalf("cell 7 = %+v", c.Label)
	}
	seen := map[string]bool{}
	for _, c := range cells[:8] {
		// Base settings reach every cell, nested tables merge key by key.
		if c.Run.MaxEpisodes != 2 || c.Run.Policy.Eta != 3 {
			t.Fatalf("%s: base lost: max_episodes %d eta %v", c.Label, c.Run.MaxEpisodes, c.Run.Policy.Eta)
		}
		id, err := c.Run.Identity()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Tag, "g_") || !strings.HasSuffix(c.Tag, "_"+id.Short()) || c.Run.Tag != c.Tag || !c.Run.Resume {
			t.Fatalf("cell %s: tag %q (run tag %q, resume %v), fingerprint %s", c.Label, c.Tag, c.Run.Tag, c.Run.Resume, id.Short())
		}
		if seen[c.Tag] {
			t.Fatalf("tag %s twice", c.Tag)
		}
		seen[c.Tag] = true
	}
	if c := cells[8]; c.Tag != "hand_named" || c.Run.Bandit != "linucb" || c.Line != 15 {
		t.Fatalf("explicit cell: %+v", c)
	}
}

func TestExperimentErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"unknown top-level key", "nme = \"x\"\n", ":1: nme: unknown key"},
		{"unknown base key", "[base]\nsubset = \"hard\"\nbandit = \"x\"\n", ":3: base.bandit: unknown run setting"},
		{"unknown nested axis key", "[grid]\nbandit_type = [\"also\"]\npolicy.etta = [1.0, 2.0]\n", ":3: grid.policy.etta: unknown run setting"},
		{"axis not a list", "[grid]\n\nseed = 3\n", ":3: grid.seed: an axis must be a list"},
		{"wrong type", "[grid]\nmax_turns = [\"many\"]\n", ":2: grid.max_turns"},
		{"invalid value names its axis", "[base]\nseed = 1\n[grid]\nbandit_type = [\"also\"]\nsim.opponent = [\"static\", \"nobody\"]\n", ":5: cell bandit_type=also sim.opponent=nobody: sim:"},
		{"invalid value in base", "[base]\nmax_turns = 0\n[grid]\nseed = [1, 2]\n", ":2: cell seed=1: max_turns = 0"},
		{"two axes set one key", "[grid]\nseed = [1, 2]\nm = [{ seed = 3 }]\n", ":3: grid.m: sets seed, which axis seed (line 2) sets too"},
		{"out in a cell", "[[cell]]\nseed = 2\nout = \"x\"\n", ":3: cell#1.out: set by the experiment"},
		{"tag in base", "[base]\ntag = \"x\"\n", ":2: base.tag: tags are derived per cell"},
		{"same configuration twice", "[grid]\nsubset = [\"hard\"]\n[[cell]]\nsubset = \"hard\"\n", ":3: cell cell#1 has the same configuration as cell subset=hard (line 2)"},
		{"bad cell key", "[[cell]]\nseed = 1\n[[cell]]\nsede = 2\n", ":4: cell#2.sede: unknown run setting"},
		{"empty axis", "[grid]\nseed = []\n", ":2: grid.seed: an axis needs at least one value"},
		{"syntax", "[grid\n", ":2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeExperiment(t, c.body)
			_, err := LoadExperiment(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\nwant it to start with the file and contain %q", err, c.want)
			}
		})
	}
}

func TestExperimentWithoutGridIsItsBase(t *testing.T) {
	e, err := LoadExperiment(writeExperiment(t, "[base]\nseed = 7\n"))
	if err != nil {
		t.Fatal(err)
	}
	cells, _ := e.Cells()
	if len(cells) != 1 || cells[0].Run.Seed != 7 || cells[0].Tag != cells[0].Run.DefaultTag() {
		t.Fatalf("cells %+v", cells)
	}
}
