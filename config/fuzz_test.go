package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadRun feeds arbitrary run files to LoadRun: it never panics, every error names the file,
// and a file it accepts is a valid run whose identity can be computed. The seed corpus
// (testdata/fuzz/FuzzLoadRun and the f.Add calls) runs with the normal tests.
func FuzzLoadRun(f *testing.F) {
	for _, seed := range []string{
		"",
		"subset = \"hard\"\nbandit_type = \"exp3\"\nmax_turns = 12\n[policy]\neta = 10.0\n[policy.also]\nscore_decay = 0.8\n[sim]\nopponent = \"adaptive\"\n",
		"tasks = [\"a\", \"a\"]\n",
		"model = \"custom/qwen@http://localhost:8000/v1\"\ntemperature = 0.2\n[llm_limits.custom]\nmax_concurrent = 2\n",
		"temperature = nan\n",
		"[policy]\ngamma = inf\n",
		"step_timeout = \"5m\"\nllm_timeout = \"-1s\"\n",
		"max_turns = 99999999999999999999\n",
		"[sim]\nleavetrust = 0\ndim = 0\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		path := filepath.Join(dir, "run.toml")
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := LoadRun(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("LoadRun accepted a run that does not validate: %v", err)
		}
		if _, err := r.Identity(); err != nil {
			t.Fatalf("LoadRun accepted a run without an identity: %v", err)
		}
	})
}
