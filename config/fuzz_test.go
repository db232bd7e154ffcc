package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// Deeply nested keys made the TOML decoder take a minute (found by FuzzLoadRun): such files are
// refused at once, naming the line; ordinary nesting and braces in comments or strings are fine.
func TestDeepRunFilesAreRefusedQuickly(t *testing.T) {
	for name, body := range map[string]string{
		"dotted keys":   "subset = \"hard\"\n" + strings.Repeat("a.", 20000) + "b = 1\n",
		"inline tables": "x = " + strings.Repeat("{a=", 20000) + "1" + strings.Repeat("}", 20000) + "\n",
		"table header":  "[" + strings.Repeat("a.", 20000) + "b]\n",
	} {
		start := time.Now()
		_, err := LoadRun(writeFile(t, body))
		if err == nil || !strings.Contains(err.Error(), "nest deeper than") || time.Since(start) > 2*time.Second {
			t.Errorf("%s: %v after %v", name, err, time.Since(start))
		}
	}
	ok := "# a comment with { braces {{{{{{{{{{{{{{{{{{{{ and dots ......................\n" +
		"model = \"custom/q{{{{{{{{{{{{{{{{{{{{{{{{@http://h/v1\"\n[policy.also]\nepochs = 3\n"
	if _, err := LoadRun(writeFile(t, ok)); err != nil {
		t.Errorf("ordinary file refused: %v", err)
	}
}
