package live

import (
	"context"
	"testing"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/agents"
)

// A switch by episode gives each episode one model: the stage of its position in the run.
func TestSwitchByEpisodePicksTheStagesModel(t *testing.T) {
	spec, err := agents.Parse("p2_agent", "switch:openrouter/a/first@e0,openrouter/b/second@e2")
	if err != nil {
		t.Fatal(err)
	}
	rig := newLiveRig(t, nil, func(c *Config) { c.SeatAgents[1] = spec })
	for episode, want := range map[int]string{0: "openrouter/a/first", 1: "openrouter/a/first", 2: "openrouter/b/second", 7: "openrouter/b/second"} {
		ew, err := rig.world.NewEpisode(context.Background(), sotopia.EpisodeSpec{Setup: rig.setup, Seed: 1, Episode: episode})
		if err != nil {
			t.Fatal(err)
		}
		if ew.Models[2] != want || ew.Models[1] != DefaultAgentModel {
			t.Errorf("episode %d: models %v, want seat 2 on %s", episode, ew.Models, want)
		}
		if _, ok := ew.Agents[1].(*Agent); !ok {
			t.Errorf("episode %d: seat 2 is %T, want the LLM agent", episode, ew.Agents[1])
		}
	}
}

// A scripted seat's model is never resolved, so it needs no key or endpoint.
func TestScriptedSeatNeedsNoModel(t *testing.T) {
	spec, err := agents.Parse("p1_agent", "scripted:staller")
	if err != nil {
		t.Fatal(err)
	}
	rig := newLiveRig(t, nil, func(c *Config) { c.SeatAgents[0], c.P1Model = spec, "openai/needs-a-key-we-do-not-have" })
	ew, err := rig.world.NewEpisode(context.Background(), sotopia.EpisodeSpec{Setup: rig.setup, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ew.Models[1] != "scripted:staller" {
		t.Errorf("models %v", ew.Models)
	}
	if _, ok := ew.Agents[0].(*agents.Scripted); !ok {
		t.Errorf("seat 1 is %T", ew.Agents[0])
	}
}
