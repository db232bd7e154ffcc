package llm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDotEnv(t *testing.T) {
	in := "\ufeff# comment\n" +
		"\n" +
		"PLAIN=abc\n" +
		"export EXPORTED=yes\n" +
		"SPACED = value with spaces   \n" +
		"INLINE=val # a comment\n" +
		"HASH=a#b\n" +
		"SINGLE='lit $X \\n # not a comment'\n" +
		"DOUBLE=\"line1\\nline2 \\\"q\\\" \\\\\" # trailing\n" +
		"EMPTY=\n" +
		"DUP=first\n" +
		"DUP=second\n"
	got, err := ParseDotEnv(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN":    "abc",
		"EXPORTED": "yes",
		"SPACED":   "value with spaces",
		"INLINE":   "val",
		"HASH":     "a#b",
		"SINGLE":   `lit $X \n # not a comment`,
		"DOUBLE":   "line1\nline2 \"q\" \\",
		"EMPTY":    "",
		"DUP":      "second",
	}
	if len(got) != len(want) {
		t.Errorf("got %d vars, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestParseDotEnvErrorsNameLineNotValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"A=1\nno equals sign here\n", "line 2: want KEY=VALUE"},
		{"1BAD=x\n", `line 1: "1BAD" is not a valid variable name`},
		{"OPENAI_API_KEY=\"sk-secret-value\n", "line 1 (OPENAI_API_KEY): unterminated double-quoted value"},
		{"K='sk-secret-value\n", "line 1 (K): unterminated single-quoted value"},
		{"K=\"sk-secret-value\" junk\n", "unexpected text after the closing quote"},
	}
	for _, tt := range tests {
		_, err := ParseDotEnv(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDotEnv(%q) = %v, want %q", tt.in, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "sk-secret-value") {
			t.Errorf("error leaks the value: %v", err)
		}
	}
}

func TestEnvProcessEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("OPENROUTER_API_KEY=from-file\nOPENAI_API_KEY=file-openai\nCUSTOM_API_KEY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := LoadEnv(path, true, func(name string) (string, bool) {
		switch name {
		case "OPENROUTER_API_KEY":
			return "from-env", true
		case "OPENAI_API_KEY":
			return "", true // set but empty: the file's value applies
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := env.Get("OPENROUTER_API_KEY"); v != "from-env" {
		t.Errorf("OPENROUTER_API_KEY = %q, want the environment's value", v)
	}
	if v, _ := env.Get("OPENAI_API_KEY"); v != "file-openai" {
		t.Errorf("OPENAI_API_KEY = %q, want the file's value", v)
	}
	if _, ok := env.Get("CUSTOM_API_KEY"); ok {
		t.Error("an empty value counts as set")
	}

	if _, err := LoadEnv(filepath.Join(dir, "missing.env"), false, nil); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
	if _, err := LoadEnv(filepath.Join(dir, "missing.env"), true, nil); err == nil {
		t.Error("required missing file: no error")
	}
}

func TestMissingKeyNamesTheVariable(t *testing.T) {
	r, err := NewRouter(RouterConfig{Env: NewEnv(nil, map[string]string{"OPENAI_API_KEY": "sk-present-but-other"}),
		Timeout: 1, Retry: DefaultRetryPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Model("openrouter/deepseek/deepseek-v3.2")
	var mk *MissingKeyError
	if !errors.As(err, &mk) || mk.Var != OpenRouterKeyVar {
		t.Fatalf("got %v, want a MissingKeyError for %s", err, OpenRouterKeyVar)
	}
	if !strings.Contains(err.Error(), "OPENROUTER_API_KEY") || strings.Contains(err.Error(), "sk-present") {
		t.Errorf("error %q", err)
	}
	// Custom endpoints fall back to the "EMPTY" placeholder key.
	if _, err := r.Model("custom/m@http://127.0.0.1:1/v1"); err != nil {
		t.Errorf("custom without CUSTOM_API_KEY: %v", err)
	}
}
