package config

import (
	"strings"
	"testing"
)

// The paper's prompts are the default; Sotopia's stock ones are one key (or flag) away, and a
// misspelt value names its key and line.
func TestPromptKeysDefaultToTheArtifactAndAreChecked(t *testing.T) {
	d := DefaultRun()
	if d.Era != "also" || d.JudgePrompt != "also" {
		t.Fatalf("defaults era %q, judge_prompt %q; want also, also", d.Era, d.JudgePrompt)
	}
	r, err := LoadRun(writeFile(t, "era = \"benchmark\"\njudge_prompt = \"sotopia\"\n"))
	if err != nil || r.Era != "benchmark" || r.JudgePrompt != "sotopia" {
		t.Fatalf("loaded era %q, judge_prompt %q: %v", r.Era, r.JudgePrompt, err)
	}
	for body, want := range map[string]string{
		"subset = \"hard\"\njudge_prompt = \"stock\"\n": ":2: judge_prompt = stock: must be also or sotopia",
		"era = \"2024\"\n": ":1: era = 2024: must be also, benchmark or 2023",
	} {
		if _, err := LoadRun(writeFile(t, body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", body, err, want)
		}
	}
}
