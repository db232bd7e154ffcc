package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia/store"
)

// A tag whose stored configuration is unreadable or names an unknown strategy pool cannot have
// its arms named: armPool says which tag and what is wrong (it returned nil silently, and the
// figures went out with unnamed arms).
func TestArmPoolNamesABadConfiguration(t *testing.T) {
	for _, c := range []struct {
		config string
		want   string
	}{
		{`{"strategy_version":"v99"}`, `tag odd: strategy_version "v99"`},
		{`{"strategy_version":`, "tag odd: its stored configuration cannot be read"},
		{`{"strategy_version":7}`, "tag odd: its stored configuration cannot be read"},
	} {
		_, err := armPool("odd", &store.RunConfig{Tag: "odd", Config: json.RawMessage(c.config)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s: %v, want %q", c.config, err, c.want)
		}
		if code := exitCode(context.Background(), err); code != exitUsage {
			t.Errorf("config %s: exit %d, want %d", c.config, code, exitUsage)
		}
	}
	for _, rc := range []*store.RunConfig{nil, {Config: nil}, {Config: json.RawMessage(`{"strategy_version":"v1"}`)}} {
		if pool, err := armPool("fine", rc); err != nil || len(pool) == 0 {
			t.Errorf("%+v: pool %d arms, %v", rc, len(pool), err)
		}
	}
}

// From the CLI: plot and report of such a tag exit 2 naming it, and write no figure.
func TestPlotOfATagWithAnUnknownPoolExits2(t *testing.T) {
	dir := noRedisEnv(t)
	mustCLI(t, "db", "import", sampleEpisodes, "--tag", "odd", "--store", dir)
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rc := store.RunConfig{Tag: "odd", Fingerprint: "f00d", Config: json.RawMessage(`{"strategy_version":"v99"}`), Created: time.Now()}
	if err := st.BindTag(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, args := range [][]string{
		{"plot", "--store", dir, "--tags", "odd", "--out", filepath.Join(t.TempDir(), "figs")},
		{"report", "--store", dir, "--tags", "odd", "--out", filepath.Join(t.TempDir(), "r.html")},
	} {
		_, _, err := runCLI(t, args...)
		if code := exitCode(context.Background(), err); code != exitUsage || !strings.Contains(err.Error(), `tag odd: strategy_version "v99"`) {
			t.Errorf("also %s: exit %d, %v", args[0], code, err)
		}
	}
}
