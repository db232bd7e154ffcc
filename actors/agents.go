package actors

import "github.com/also-project/also/sotopia/agents"

// AgentFactory builds a library user's seat agent for one episode (see RegisterAgent).
type AgentFactory = agents.Factory

// AgentEpisode is what an AgentFactory learns about the episode and seat it plays.
type AgentEpisode = agents.Episode

// RegisterAgent makes name a seat-agent setting (--p1-agent name or name:ARG, run-file key
// p1_agent/p2_agent) in the live world: every episode the factory builds the seat's agent,
// which the run wraps in its own agent actor like any other. Register before the run is
// configured (an init function or the start of main).
func RegisterAgent(name string, f AgentFactory) error { return agents.Register(name, f) }
