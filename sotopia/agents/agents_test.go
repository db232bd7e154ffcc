package agents

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

func TestParseScriptRulesAndErrors(t *testing.T) {
	sc, err := ParseScript("s.txt", "# opener\n1 speak Hello {partner}.\n2-3 non-verbal nods\n\n4+ leave\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		turn int
		want sotopia.AgentAction
	}{
		{1, sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "Hello Ana."}},
		{3, sotopia.AgentAction{ActionType: sotopia.ActionNonVerbal, Argument: "nods"}},
		{9, sotopia.AgentAction{ActionType: sotopia.ActionLeave}},
	} {
		if got := sc.ActionFor(c.turn, "Ana"); got != c.want {
			t.Errorf("own turn %d: %+v, want %+v", c.turn, got, c.want)
		}
	}
	if got := mustScript(t, "2 none\n").ActionFor(1, ""); got.ActionType != sotopia.ActionNone {
		t.Errorf("an unmatched turn plays %+v, want none", got)
	}
	for text, want := range map[string]string{
		"1 speak hi\n\n3 shout hi\n": "s.txt:3: action \"shout\" unknown",
		"0 speak hi\n":               "s.txt:1: turns \"0\"",
		"5-2 speak hi\n":             "s.txt:1: turns \"5-2\": range ends before it starts",
		"1 speak\n":                  "s.txt:1: speak needs an argument",
		"# only\n2+ leave now\n":     "s.txt:2: leave takes no argument",
		"speak\n":                    "s.txt:1: want TURNS ACTION",
		"# nothing\n":                "s.txt: no rules",
	} {
		if _, err := ParseScript("s.txt", text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

func mustScript(t *testing.T, text string) *Script {
	t.Helper()
	sc, err := ParseScript("t", text)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestParseNamesKeyAndFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.script")
	if err := os.WriteFile(file, []byte("1 speak hi\nx leave\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for setting, want := range map[string]string{
		"scripted:sulker":  "p2_agent = \"scripted:sulker\": scripted behaviour \"sulker\" unknown",
		"script:" + file:   "p2_agent: script " + file + ":2: turns \"x\"",
		"script:":          "script needs a file",
		"robot":            "unknown agent \"robot\"",
		"llm:gpt":          "llm takes no argument",
		"switch:a@1":       "the first model must start at 0",
		"switch:":          "switch needs MODEL@TURN",
		"script:/no/file":  "p2_agent: open /no/file",
		"switch:a@0,b@e2":  "cannot be mixed",
		"switch:a@0,b@0":   "starts must increase",
		"switch:a@0,b@two": "start \"two\" is not a turn",
	} {
		if _, err := Parse("p2_agent", setting); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", setting, err, want)
		}
	}
	for _, ok := range []string{"", "llm", "scripted:refuser", "scripted:staller", "scripted:leaver"} {
		if _, err := Parse("p1_agent", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// The last "@" of an entry separates the start, so a custom model's URL keeps its own "@".
func TestParseSwitchLastAt(t *testing.T) {
	sw, err := ParseSwitch("openai/gpt-4o-mini@0, custom/qwen@http://user@host:8000/v1@10")
	if err != nil {
		t.Fatal(err)
	}
	want := []Stage{{"openai/gpt-4o-mini", 0}, {"custom/qwen@http://user@host:8000/v1", 10}}
	if len(sw.Stages) != 2 || sw.Stages[0] != want[0] || sw.Stages[1] != want[1] || sw.ByEpisode {
		t.Fatalf("stages %+v", sw)
	}
	for n, stage := range map[int]int{0: 0, 9: 0, 10: 1, 30: 1} {
		if got := sw.StageAt(n); got != stage {
			t.Errorf("StageAt(%d) = %d, want %d", n, got, stage)
		}
	}
	ep, err := ParseSwitch("a@e0,b@e3")
	if err != nil || !ep.ByEpisode || ep.StageAt(2) != 0 || ep.StageAt(3) != 1 {
		t.Fatalf("episode switch %+v %v", ep, err)
	}
}

// The switching agent gives every stage every observation and lets the turn's stage answer.
func TestSwitchingRoutesByTurn(t *testing.T) {
	sw, _ := ParseSwitch("a@0,b@4")
	a, b := &recorder{name: "a"}, &recorder{name: "b"}
	s, err := NewSwitching(sw, []sotopia.Agent{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for turn := 1; turn < 8; turn += 2 {
		s.Observe(sotopia.Observation{Turn: turn - 1})
		act, err := s.Act(context.Background(), sotopia.Observation{Turn: turn})
		if err != nil {
			t.Fatal(err)
		}
		want := "a"
		if turn >= 4 {
			want = "b"
		}
		if act.Argument != want {
			t.Errorf("turn %d answered by %s, want %s", turn, act.Argument, want)
		}
	}
	if len(a.seen) != 8 || len(b.seen) != 8 {
		t.Errorf("stages saw %d and %d observations, want 8 each", len(a.seen), len(b.seen))
	}
}

type recorder struct {
	name string
	seen []int
}

func (r *recorder) Observe(o sotopia.Observation) { r.seen = append(r.seen, o.Turn) }
func (r *recorder) SetStrategy(sotopia.ArmChoice) {}
func (r *recorder) Act(_ context.Context, o sotopia.Observation) (sotopia.AgentAction, error) {
	r.seen = append(r.seen, o.Turn)
	return sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: r.name}, nil
}

func TestScriptedAgentsFollowTheirBehaviour(t *testing.T) {
	ctx := context.Background()
	leaver, _ := NewScripted(Leaver, 1, 7)
	for own := 1; own <= DefaultLeaverTurns; own++ {
		act, _ := leaver.Act(ctx, sotopia.Observation{Seat: 1, Turn: 2*own - 1})
		if want := own == DefaultLeaverTurns; (act.ActionType == sotopia.ActionLeave) != want {
			t.Errorf("leaver own turn %d: %+v", own, act)
		}
	}
	r1, _ := NewScripted(Refuser, 1, 7)
	r2, _ := NewScripted(Refuser, 1, 7)
	for turn := 1; turn < 10; turn += 2 {
		a, _ := r1.Act(ctx, sotopia.Observation{Seat: 1, Turn: turn})
		b, _ := r2.Act(ctx, sotopia.Observation{Seat: 1, Turn: turn})
		again, _ := r1.Act(ctx, sotopia.Observation{Seat: 1, Turn: turn})
		if a != b || a != again || a.ActionType != sotopia.ActionSpeak {
			t.Fatalf("refuser turn %d: %+v, %+v, again %+v (same seed, same answer)", turn, a, b, again)
		}
	}
	only, _ := r1.Act(ctx, sotopia.Observation{Seat: 1, Turn: 11, AvailableActions: []sotopia.ActionType{sotopia.ActionNone}})
	if only.ActionType != sotopia.ActionNone {
		t.Errorf("with only none allowed the refuser did %+v", only)
	}
	if _, err := r1.Act(ctx, sotopia.Observation{Seat: 0, Turn: 12}); err == nil {
		t.Error("a misdelivered observation was accepted")
	}
}

func TestRegister(t *testing.T) {
	f := func(Episode) (sotopia.Agent, error) { return &recorder{name: "x"}, nil }
	for _, bad := range []string{"", "llm", "script", "a:b", "a b"} {
		if Register(bad, f) == nil {
			t.Errorf("Register(%q) accepted", bad)
		}
	}
	if err := Register("agents-test-echo", f); err != nil {
		t.Fatal(err)
	}
	if Register("agents-test-echo", f) == nil {
		t.Error("a second registration of one name was accepted")
	}
	s, err := Parse("p1_agent", "agents-test-echo:loud")
	if err != nil || !s.IsRegistered() {
		t.Fatalf("%+v %v", s, err)
	}
	a, err := s.Build(Episode{Seat: 0})
	if err != nil || a == nil {
		t.Fatal(err)
	}
}

// A start is digits (N or eN) and nothing else: "+3", "-0", " 3" and "3.0" are refused with the
// entry named (strconv.Atoi alone took "+3" as turn 3).
func TestParseSwitchRefusesMalformedStarts(t *testing.T) {
	for _, bad := range []string{"a@0,b@+3", "a@-0", "a@0,b@e+3", "a@0,b@3.0", "a@0,b@ 3", "a@0,b@", "a@0,b@e", "a@0x0"} {
		_, err := ParseSwitch(bad)
		entry := bad[strings.LastIndex(bad, ",")+1:]
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(entry))) {
			t.Errorf("ParseSwitch(%q): %v, want an error naming %q", bad, err, entry)
		}
	}
	if _, err := Parse("p2_agent", "switch:a@0,b@+3"); err == nil || !strings.Contains(err.Error(), `"b@+3"`) {
		t.Errorf("p2_agent switch:a@0,b@+3: %v", err)
	}
}
