package session

import (
	"context"
	"fmt"
	"io"

	"github.com/also-project/also/sotopia"
)

// checkEndpoints sends one cheap request to each distinct model a live run calls (agents,
// judges, embedder; llm.Router.Check) before the first episode and before the run folder
// exists, so a wrong URL, key or model name costs seconds and leaves nothing behind. Replayed
// runs send nothing and the sim world has no endpoints: both are skipped.
func checkEndpoints(ctx context.Context, world sotopia.World, logw io.Writer) error {
	w, ok := world.(*liveWorld)
	if !ok || w.replay {
		return nil
	}
	type endpoint struct {
		model string
		embed bool
		roles []string
	}
	var order []*endpoint
	byModel := map[string]*endpoint{}
	add := func(role, model string, embed bool) {
		if model == "" {
			return
		}
		key := fmt.Sprint(model, embed)
		e, ok := byModel[key]
		if !ok {
			e = &endpoint{model: model, embed: embed}
			byModel[key] = e
			order = append(order, e)
		}
		e.roles = append(e.roles, role)
	}
	m := w.models
	add("p1_model", m.seats[0], false)
	add("p2_model", m.seats[1], false)
	for seat := range sotopia.Seats {
		for _, model := range m.stages[seat] {
			add(fmt.Sprintf("p%d_agent", seat+1), model, false)
		}
	}
	if m.perTurn {
		add("reward_eval_model", m.rewardJudge, false)
		add("embedding_model", m.embedder, true)
	}
	add("terminal_eval_model", m.finalJudge, false)
	for _, e := range order {
		if err := w.router.Check(ctx, e.model, e.embed); err != nil {
			if ctx.Err() != nil {
				return err
			}
			return &EndpointError{Roles: e.roles, Model: e.model, Err: err}
		}
	}
	if logw != nil && len(order) > 0 {
		fmt.Fprintf(logw, "endpoints checked: %d model(s) answered\n", len(order))
	}
	return nil
}
