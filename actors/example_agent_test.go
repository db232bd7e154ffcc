package actors_test

import (
	"context"
	"fmt"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/sotopia"
)

// politeBot says the same line every turn and leaves on its fifth; it never calls an LLM.
type politeBot struct {
	line  string
	turns int
}

func (b *politeBot) Observe(sotopia.Observation)   {}
func (b *politeBot) SetStrategy(sotopia.ArmChoice) {}
func (b *politeBot) Act(_ context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if b.turns++; b.turns >= 5 {
		return sotopia.AgentAction{ActionType: sotopia.ActionLeave}, nil
	}
	return sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: b.line}, nil
}

// Register an agent, then put it in a seat with --p2-agent polite:"Thank you, no." (or the run
// file's p2_agent). Each episode gets a fresh agent from the factory.
func ExampleRegisterAgent() {
	err := actors.RegisterAgent("polite", func(ep actors.AgentEpisode) (sotopia.Agent, error) {
		line := ep.Arg
		if line == "" {
			line = "That sounds lovely."
		}
		return &politeBot{line: line}, nil
	})
	fmt.Println(err)
	// Output: <nil>
}
