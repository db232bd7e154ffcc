package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/messages"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// agentActor plays one seat with any sotopia.Agent (LLM, sim or scripted).
type agentActor struct {
	base  context.Context
	seat  int
	agent sotopia.Agent
	spec  *Spec
}

func (a *agentActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *messages.Observe:
		a.agent.Observe(m.Observation)
		c.Respond(&messages.Delivered{Seat: a.seat})
	case *messages.SetStrategy:
		a.agent.SetStrategy(m.Arm)
		c.Respond(&messages.Delivered{Seat: a.seat, Strategy: true})
	case *messages.Act:
		ctx, cancel := context.WithTimeout(a.base, a.spec.StepTimeout)
		act, err := a.agent.Act(ctx, m.Observation)
		cancel()
		reply := &messages.Action{Seat: a.seat, Turn: m.Turn, Action: act}
		if err != nil {
			reply.Error = err.Error()
		} else if n, ok := a.agent.(sotopia.ActionNoter); ok {
			reply.Note = n.ActionNote(m.Observation.Turn)
		}
		c.Respond(reply)
	}
}

// evaluatorActor wraps the judge and the embedder of one episode.
type evaluatorActor struct {
	base     context.Context
	judge    sotopia.Judge
	embedder sotopia.Embedder
	spec     *Spec
}

func (e *evaluatorActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *messages.JudgeTurn:
		ctx, cancel := context.WithTimeout(e.base, e.spec.StepTimeout)
		j, err := e.judge.JudgeTurn(ctx, m.Request)
		cancel()
		c.Respond(&messages.TurnScores{Turn: m.Request.Turn, Judgement: j, Error: errText(err)})
	case *messages.JudgeEpisode:
		ctx, cancel := context.WithTimeout(e.base, e.spec.StepTimeout)
		j, err := e.judge.JudgeEpisode(ctx, m.Request)
		cancel()
		c.Respond(&messages.EpisodeScores{Judgement: j, Error: errText(err)})
	case *messages.Embed:
		ctx, cancel := context.WithTimeout(e.base, e.spec.StepTimeout)
		v, err := e.embedder.Embed(ctx, m.Texts)
		cancel()
		if err == nil && len(v) != len(m.Texts) {
			err = fmt.Errorf("embedder returned %d vectors for %d texts", len(v), len(m.Texts))
		}
		c.Respond(&messages.Embedded{Purpose: m.Purpose, Turn: m.Turn, Vectors: v, Error: errText(err)})
	}
}

// policyActor owns one seat's bandit. CPU-heavy training happens inside policy.Update/Select,
// which bound themselves (the nn worker pool, through the seat's lane), so this actor stays a
// thin adapter.
type policyActor struct {
	base   context.Context
	seat   int
	seed   int64
	spec   *Spec
	policy policy.Policy
	arms   []policy.Arm // as InitPolicy gave them: a checkpoint is bound to their pool
	// lane is this seat's way into the run's training pool; the episode sets its priority (urgent
	// while the episode waits for this seat's choice).
	lane *nn.Pool
	// optimiser and embedder are the episode world's, for the policies that write arm texts.
	optimiser sotopia.Optimiser
	embedder  sotopia.Embedder
}

// optimiserParams gives a policy the world's optimiser and embedder. Each call has the step
// timeout; once the run is cancelled an optimiser failure ends the episode instead of being
// recorded as an unusable answer.
func (p *policyActor) optimiserParams(params *policy.Params) {
	if p.optimiser != nil {
		params.Optimiser = policy.OptimiserFunc(func(r policy.OptimiserRequest) ([]string, error) {
			ctx, cancel := context.WithTimeout(p.base, p.spec.StepTimeout)
			defer cancel()
			out, err := p.optimiser.Optimise(ctx, sotopia.OptimiserCall{Operator: r.Operator, Seat: p.seat, Turn: r.Turn,
				Prompt: r.Prompt, Temperature: r.Temperature, Samples: r.Samples})
			if err != nil && p.base.Err() != nil {
				return nil, fmt.Errorf("%w: %v", policy.ErrOptimiserStop, err)
			}
			return out, err
		})
	}
	if p.embedder != nil {
		params.Embed = func(text string) ([]float64, error) {
			ctx, cancel := context.WithTimeout(p.base, p.spec.StepTimeout)
			defer cancel()
			v, err := p.embedder.Embed(ctx, []string{text})
			switch {
			case err != nil && p.base.Err() != nil:
				return nil, fmt.Errorf("%w: %v", policy.ErrOptimiserStop, err)
			case err != nil:
				return nil, err
			case len(v) != 1:
				return nil, fmt.Errorf("embedder returned %d vectors for 1 text", len(v))
			}
			return v[0], nil
		}
	}
}

func (p *policyActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *messages.InitPolicy:
		rng := rand.New(rand.NewPCG(uint64(p.seed), uint64(p.seat)+1))
		params := policy.Params{Arms: m.Arms, Rand: rng, Config: p.spec.Policy, Pool: p.lane}
		p.optimiserParams(&params)
		pol, err := p.spec.newPolicy(p.seat, params)
		if err == nil && p.spec.Carry != nil {
			pol, err = p.spec.Carry.start(p.seat, pol, m.Arms)
		}
		p.policy, p.arms = pol, m.Arms
		_, calls := pol.(policy.Evolving)
		c.Respond(&messages.PolicyReady{Seat: p.seat, CallsModels: calls, Error: errText(err)})
	case *messages.SavePolicy:
		c.Respond(p.save())
	case *messages.PolicyStep:
		reply := &messages.PolicyChoice{Seat: p.seat, Turn: m.Turn}
		if p.policy == nil {
			reply.Error = "policy not initialised"
			c.Respond(reply)
			return
		}
		if m.Feedback != nil {
			if err := p.policy.Update(*m.Feedback); err != nil {
				reply.Error = "update: " + err.Error()
				c.Respond(reply)
				return
			}
		}
		if m.Select {
			ch, err := p.policy.Select(m.Turn, m.Context)
			reply.Selected, reply.Choice, reply.Error = err == nil, ch, errText(err)
			if evo, ok := p.policy.(policy.Evolving); ok {
				reply.Evolution = evo.DrainEvents()
				if mem, ok := evo.Member(ch.Arm); ok && err == nil && mem.Operator != "seed" {
					mem.Embedding = nil // the episode records the text, not the vector
					reply.Created = &mem
				}
			}
		}
		c.Respond(reply)
	}
}

// save is the checkpoint of the policy's state, for Spec.Carry.
func (p *policyActor) save() *messages.PolicySaved {
	reply := &messages.PolicySaved{Seat: p.seat}
	if p.policy == nil || p.spec.Carry == nil {
		reply.Error = "no policy state to checkpoint"
		return reply
	}
	cp, err := p.spec.Carry.end(p.seat, p.policy, p.arms)
	if err == nil {
		reply.Checkpoint, err = json.Marshal(cp)
	}
	reply.Error = errText(err)
	return reply
}

// recorderActor serialises writes to the sink; an episode is acknowledged only once durable.
type recorderActor struct {
	base context.Context
	sink Sink
}

func (r *recorderActor) Receive(c actor.Context) {
	if m, ok := c.Message().(*messages.Record); ok {
		ep := m.Episode
		// Finished work is saved even when the run is being cancelled.
		err := r.sink.Save(context.WithoutCancel(r.base), &ep)
		c.Respond(&messages.Stored{PK: ep.PK, Error: errText(err)})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
