package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia/store"
)

// CellPlan is one cell's plan: the episodes left to run under its tag and their cost.
type CellPlan struct {
	Cell config.Cell `json:"cell"`
	Plan *Plan       `json:"plan"`
}

// ExperimentPlan is what `also experiment` would do, computed without spending or writing
// anything: per cell the episodes left (tasks already done under the cell's tag are skipped),
// and the calls, tokens and dollars by role and model over all cells.
type ExperimentPlan struct {
	Name  string     `json:"name"`
	Cells []CellPlan `json:"cells"`
	// Rows sum the cells' rows by role and model, in call order; Total sums everything.
	Rows  []PlanRow `json:"rows"`
	Total PlanRow   `json:"total"`
}

// Remaining is the number of episodes left to run over all cells.
func (p *ExperimentPlan) Remaining() int {
	n := 0
	for _, c := range p.Cells {
		n += len(c.Plan.Tasks)
	}
	return n
}

// PlanExperiment plans every cell (PlanRun, resuming under the cell's tag) and checks, through a
// read-only store, that no cell's tag is bound to another configuration: such a cell is a
// *ConfigError naming the cell and the settings that differ.
func PlanExperiment(ctx context.Context, name string, cells []config.Cell, a PlanAssumptions) (*ExperimentPlan, error) {
	p := &ExperimentPlan{Name: name}
	tally := newPlanTally()
	for _, c := range cells {
		if err := checkBinding(ctx, c); err != nil {
			return nil, err
		}
		cfg := c.Run
		cfg.Tag, cfg.Resume = c.Tag, true
		plan, err := PlanRun(cfg, a)
		if err != nil {
			return nil, refuse(fmt.Errorf("cell %s: %w", c.Label, err))
		}
		p.Cells = append(p.Cells, CellPlan{Cell: c, Plan: plan})
		for _, r := range plan.Rows {
			tally.add(r.Role, r.Model, r.Calls, r.PromptTokens, r.CompletionTokens)
			i := tally.index[[2]string{r.Role, r.Model}]
			tally.rows[i].CostUSD += r.CostUSD
			tally.rows[i].Priced = r.Priced
		}
	}
	p.Rows = tally.rows
	sort.SliceStable(p.Rows, func(i, j int) bool { return roleOrder[p.Rows[i].Role] < roleOrder[p.Rows[j].Role] })
	p.Total = PlanRow{Role: "total", Priced: true}
	for _, r := range p.Rows {
		p.Total.Calls += r.Calls
		p.Total.PromptTokens += r.PromptTokens
		p.Total.CompletionTokens += r.CompletionTokens
		p.Total.CostUSD += r.CostUSD
		p.Total.Priced = p.Total.Priced && (r.Priced || r.Calls == 0)
	}
	return p, nil
}

// checkBinding refuses a cell whose tag the store binds to another configuration. The store is
// opened read-only, and a store that does not exist yet binds nothing.
func checkBinding(ctx context.Context, c config.Cell) error {
	id, err := c.Run.Identity()
	if err != nil {
		return refuse(fmt.Errorf("cell %s: %w", c.Label, err))
	}
	d, err := store.OpenDirReadOnly(c.Run.Store)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	bound, err := d.TagConfig(ctx, c.Tag)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !id.Binds(bound.Fingerprint):
		return refuse(fmt.Errorf("cell %s (line %d): %w", c.Label, c.Line, boundElsewhere(bound, id)))
	}
	return nil
}

// Summary is the plan in one line: what the first progress line says.
func (p *ExperimentPlan) Summary() string {
	left, done := 0, 0
	for _, c := range p.Cells {
		if len(c.Plan.Tasks) == 0 {
			done++
		}
		left += len(c.Plan.Tasks)
	}
	return fmt.Sprintf("experiment %s: %d cells (%d already done), %d episodes to run, ~%d LLM calls, ~%d tokens, ~$%.2f%s",
		p.Name, len(p.Cells), done, left, p.Total.Calls, p.Total.PromptTokens+p.Total.CompletionTokens, p.Total.CostUSD, unpricedMark(p.Total))
}

func unpricedMark(r PlanRow) string {
	if r.Priced {
		return ""
	}
	return " (some models unpriced)"
}

// WriteText prints the plan: one row per cell, then the calls by role and model, then the total.
func (p *ExperimentPlan) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "plan (nothing was called, written or spent): %s\n", p.Summary())
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "cell\ttag\tworld\tto run\tdone\tcalls\ttokens\tUSD\t")
	for _, c := range p.Cells {
		pl := c.Plan
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.2f%s\t\n", c.Cell.Label, c.Cell.Tag, pl.World, len(pl.Tasks), pl.Skipped,
			pl.Total.Calls, pl.Total.PromptTokens+pl.Total.CompletionTokens, pl.Total.CostUSD, unpricedMark(pl.Total))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "role\tmodel\tcalls\tprompt tokens\tcompletion tokens\tUSD\t")
	for _, r := range append(append([]PlanRow(nil), p.Rows...), p.Total) {
		if r.Calls == 0 && r.Role != "total" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.2f%s\t\n", r.Role, r.Model, r.Calls, r.PromptTokens, r.CompletionTokens, r.CostUSD, unpricedMark(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "estimates assume every episode runs to max_turns without retries (see `also run --dry-run` for one cell's assumptions)")
	return err
}
