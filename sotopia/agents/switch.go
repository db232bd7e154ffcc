package agents

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Switch is a non-stationary opponent: Stages in order, each naming the model that plays from
// its start on. Starts count environment turns (MODEL@T: from the observation of turn T on; 0 is
// the first) or, with ByEpisode (MODEL@eN), the run's episodes (the task's 0-based position in
// the run's plan), in which case one model plays a whole episode.
//
// Parsing: entries are separated by commas; in each, the LAST "@" separates the model from its
// start, so a custom model's URL keeps its own "@" (custom/qwen@http://host/v1@10 is the model
// custom/qwen@http://host/v1 from turn 10). The first entry must start at 0, later ones strictly
// later; turns and episodes cannot be mixed.
type Switch struct {
	ByEpisode bool
	Stages    []Stage
}

// Stage is one model of a Switch and where it starts.
type Stage struct {
	Model string
	Start int
}

// ParseSwitch reads the argument of switch:.
func ParseSwitch(arg string) (*Switch, error) {
	if strings.TrimSpace(arg) == "" {
		return nil, errors.New("switch needs MODEL@TURN entries separated by commas")
	}
	sw := &Switch{}
	for i, entry := range strings.Split(arg, ",") {
		entry = strings.TrimSpace(entry)
		at := strings.LastIndex(entry, "@")
		if at <= 0 {
			return nil, fmt.Errorf("switch entry %d %q: want MODEL@TURN or MODEL@eEPISODE", i+1, entry)
		}
		model, start := entry[:at], entry[at+1:]
		byEpisode := strings.HasPrefix(start, "e")
		digits := strings.TrimPrefix(start, "e")
		// Digits only: Atoi alone also takes "+3" and "-0", which are no way to write a turn.
		n, err := strconv.Atoi(digits)
		if err != nil || n < 0 || strings.Trim(digits, "0123456789") != "" {
			return nil, fmt.Errorf("switch entry %d %q: start %q is not a turn (N) or an episode (eN) >= 0", i+1, entry, start)
		}
		switch {
		case i == 0:
			sw.ByEpisode = byEpisode
			if n != 0 {
				return nil, fmt.Errorf("switch entry 1 %q: the first model must start at 0", entry)
			}
		case byEpisode != sw.ByEpisode:
			return nil, fmt.Errorf("switch entry %d %q: turns (N) and episodes (eN) cannot be mixed", i+1, entry)
		case n <= sw.Stages[i-1].Start:
			return nil, fmt.Errorf("switch entry %d %q: starts must increase (previous %d)", i+1, entry, sw.Stages[i-1].Start)
		}
		sw.Stages = append(sw.Stages, Stage{Model: model, Start: n})
	}
	return sw, nil
}

// Models lists the distinct models in order of first use.
func (sw *Switch) Models() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range sw.Stages {
		if !seen[s.Model] {
			seen[s.Model] = true
			out = append(out, s.Model)
		}
	}
	return out
}

// StageAt is the index of the stage playing at position n (a turn or an episode).
func (sw *Switch) StageAt(n int) int {
	k := 0
	for i, s := range sw.Stages {
		if n >= s.Start {
			k = i
		}
	}
	return k
}

// Switching plays a turn-based Switch with one agent per stage: every agent hears every
// observation (so each keeps the full history), and the stage of the observation's turn answers.
type Switching struct {
	sw     *Switch
	agents []sotopia.Agent
	acted  map[int]int // turn -> stage that answered, for ActionNote
}

// NewSwitching wraps one agent per stage of sw (in stage order).
func NewSwitching(sw *Switch, stageAgents []sotopia.Agent) (*Switching, error) {
	if sw == nil || sw.ByEpisode {
		return nil, errors.New("switching agent: needs a turn-based switch")
	}
	if len(stageAgents) != len(sw.Stages) {
		return nil, fmt.Errorf("switching agent: %d agents for %d stages", len(stageAgents), len(sw.Stages))
	}
	return &Switching{sw: sw, agents: stageAgents, acted: map[int]int{}}, nil
}

// Observe implements sotopia.Agent.
func (s *Switching) Observe(obs sotopia.Observation) {
	for _, a := range s.agents {
		a.Observe(obs)
	}
}

// SetStrategy implements sotopia.Agent: every stage's agent gets the strategy.
func (s *Switching) SetStrategy(arm sotopia.ArmChoice) {
	for _, a := range s.agents {
		a.SetStrategy(arm)
	}
}

// Act implements sotopia.Agent: the other stages observe the turn, the current one answers.
func (s *Switching) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	k := s.sw.StageAt(obs.Turn)
	for i, a := range s.agents {
		if i != k {
			a.Observe(obs)
		}
	}
	s.acted[obs.Turn] = k
	return s.agents[k].Act(ctx, obs)
}

// ActionNote implements sotopia.ActionNoter with the note of the agent that answered the turn.
func (s *Switching) ActionNote(turn int) string {
	k, ok := s.acted[turn]
	if !ok {
		return ""
	}
	if n, ok := s.agents[k].(sotopia.ActionNoter); ok {
		return n.ActionNote(turn)
	}
	return ""
}
