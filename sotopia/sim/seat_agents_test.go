package sim

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/agents"
)

// playWorld plays up to 20 turns of one episode of w and returns the actions and models.
func playWorld(t *testing.T, w *World, optimised [2]bool, seed int64) ([]sotopia.AgentAction, []string) {
	t.Helper()
	acts, ew := playArms(t, w, optimised, seed, cycleArms)
	return acts, ew.Models
}

// A scripted seat agent is the scripted Opponent of the same seat: one behaviour, same episode.
func TestScriptedSeatAgentPlaysLikeTheScriptedOpponent(t *testing.T) {
	for _, b := range agents.Behaviours() {
		cfg := DefaultConfig()
		cfg.Opponent = string(b)
		byOpponent, _ := New(cfg, sotopia.MustEmbedded())
		spec, err := agents.Parse("p2_agent", "scripted:"+string(b))
		if err != nil {
			t.Fatal(err)
		}
		byAgent, err := NewWithAgents(DefaultConfig(), sotopia.MustEmbedded(), [2]agents.Spec{{}, spec})
		if err != nil {
			t.Fatal(err)
		}
		for seed := range int64(3) {
			a, ma := playWorld(t, byOpponent, [2]bool{true, true}, seed)
			c, mc := playWorld(t, byAgent, [2]bool{true, true}, seed)
			if !reflect.DeepEqual(a, c) || !reflect.DeepEqual(ma, mc) {
				t.Fatalf("%s seed %d: opponent and seat agent differ:\n%v %v\n%v %v", b, seed, ma, a, mc, c)
			}
		}
	}
}

// A script file plays its lines in the sim world, from the seat it is given, with no strategy.
func TestScriptSeatAgentInSim(t *testing.T) {
	file := filepath.Join(t.TempDir(), "opening.script")
	text := "1 speak Hello {partner}, I won't move on price.\n2 non-verbal shakes head\n3+ leave\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := agents.Parse("p1_agent", "script:"+file)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWithAgents(DefaultConfig(), sotopia.MustEmbedded(), [2]agents.Spec{spec, {}})
	if err != nil {
		t.Fatal(err)
	}
	acts, models := playWorld(t, w, [2]bool{false, true}, 4)
	if models[1] != "script/opening.script" {
		t.Errorf("models %v", models)
	}
	var own []sotopia.AgentAction
	for i, a := range acts {
		if i%2 == 0 {
			own = append(own, a)
		}
	}
	if len(own) != 3 || !strings.HasPrefix(own[0].Argument, "Hello ") || strings.Contains(own[0].Argument, "{partner}") ||
		own[1] != (sotopia.AgentAction{ActionType: sotopia.ActionNonVerbal, Argument: "shakes head"}) || own[2].ActionType != sotopia.ActionLeave {
		t.Fatalf("script seat played %+v", own)
	}
}

func TestSimRefusesSeatAgentsItCannotModel(t *testing.T) {
	parse := func(s string) agents.Spec {
		sp, err := agents.Parse("p2_agent", s)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	refuser := DefaultConfig()
	refuser.Opponent = ScriptRefuser
	for _, c := range []struct {
		cfg   Config
		seats [2]agents.Spec
		want  string
	}{
		{DefaultConfig(), [2]agents.Spec{{}, parse("switch:a@0,b@3")}, "p2_agent = \"switch:a@0,b@3\": the sim world plays llm"},
		{DefaultConfig(), [2]agents.Spec{parse("scripted:refuser"), parse("scripted:staller")}, "one scripted seat"},
		{refuser, [2]agents.Spec{{}, parse("scripted:staller")}, "already the scripted refuser"},
	} {
		if _, err := NewWithAgents(c.cfg, sotopia.MustEmbedded(), c.seats); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
