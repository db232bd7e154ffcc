package sim

import (
	"context"
	"errors"

	"github.com/also-project/also/sotopia"
)

// Outside the actors (the probe, tests), driveTurn and setArm do the environment actor's part:
// the hidden state decides the turn, then the seat's agent voices the cue.
func driveTurn(ctx context.Context, ew *sotopia.EpisodeWorld, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if ew.Hidden == nil || obs.Seat < 0 || obs.Seat >= sotopia.Seats {
		return sotopia.AgentAction{}, errors.New("sim: not a sim episode or no such seat")
	}
	cue, err := ew.Hidden.Cue(obs)
	if err != nil {
		return sotopia.AgentAction{}, err
	}
	obs.Cue = cue
	return ew.Agents[obs.Seat].Act(ctx, obs)
}

// setArm gives a seat's strategy to its agent and to the hidden state, as the episode does.
func setArm(ew *sotopia.EpisodeWorld, seat int, arm sotopia.ArmChoice) {
	ew.Agents[seat].SetStrategy(arm)
	ew.Hidden.SetArm(seat, arm)
}

// hiddenModel is the model behind a sim episode's hidden state.
func hiddenModel(ew *sotopia.EpisodeWorld) *model { return ew.Hidden.(*hidden).m }
