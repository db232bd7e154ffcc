package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/also-project/also/policy/regret"
)

func TestBenchRegretCmd_JSON(t *testing.T) {
	cmd := newBenchRegretCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--seeds", "2", "--turns", "5", "--format", "json", "--bandits", "exp3,ucb1", "--opponents", "static"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var rows []regret.Row
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("output is not a JSON row list: %v\n%s", err, out.String())
	}
	if len(rows) != 2 || rows[0].Bandit != "exp3" || rows[1].Bandit != "ucb1" || rows[0].Turns != 5 || rows[0].Episodes != 2 {
		t.Fatalf("rows %+v", rows)
	}
	for _, key := range []string{`"opponent"`, `"bandit"`, `"turns"`, `"mean_regret"`, `"mean_static_regret"`, `"mean_reward"`} {
		if !strings.Contains(out.String(), key) {
			t.Fatalf("JSON lacks %s:\n%s", key, out.String())
		}
	}
}

func TestBenchRegretCmd_Errors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--format", "csv"}, `--format "csv": want table or json`},
		{[]string{"--seeds", "0"}, "seeds = 0"},
		{[]string{"--bandits", "nope"}, `unknown bandit type "nope"`},
	}
	for _, tt := range tests {
		cmd := newBenchRegretCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestBenchRegretCmd_Table(t *testing.T) {
	cmd := newBenchRegretCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--seeds", "2", "--turns", "3", "--bandits", "random", "--opponents", "adaptive"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "adaptive") {
		t.Fatalf("table:\n%s", out.String())
	}
}
