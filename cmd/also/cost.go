package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// CostRow is what one role of one tag consumed, summed over the tag's stored episodes (every
// attempt: a failed attempt's calls were paid for too).
type CostRow struct {
	Tag              string  `json:"tag"`
	Role             string  `json:"role"`
	Model            string  `json:"model"`
	Calls            int64   `json:"calls"`
	Retries          int64   `json:"retries"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CachedTokens     int64   `json:"cached_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
}

// CostReport is `also cost`'s JSON.
type CostReport struct {
	Tags []TagCost `json:"tags"`
	// ByModel sums the rows over tags by role and model; Total sums everything.
	ByModel []CostRow `json:"by_model"`
	Total   CostRow   `json:"total"`
}

// TagCost is one tag's usage.
type TagCost struct {
	Tag      string    `json:"tag"`
	Episodes int       `json:"episodes"`
	Recorded int       `json:"episodes_with_usage"`
	Rows     []CostRow `json:"rows"`
	Total    CostRow   `json:"total"`
}

func newCostCmd() *cobra.Command {
	var sf storeFlags
	var tags []string
	var experiment, format string
	cmd := &cobra.Command{
		Use:   "cost --tag T[,T2...] | --experiment FILE",
		Short: "LLM usage of tags: calls, retries, prompt/cached/completion tokens and dollars by role and model",
		Long: `Sum the usage records of the stored episodes of each tag (every attempt, failed ones
included: they were paid for) by role (agent, judge, embedder, optimiser) and show the models the
tag's configuration gives each role. Usage is recorded per role, not per model: a role played by
two models (heterogeneous seats; the per-turn and the terminal judge) shows both names on one row.
Dollars are those priced when the calls were made. The store is opened read-only. --experiment
takes the tags of an experiment file's cells. Episodes of the simulated world make no LLM call.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usage(fmt.Errorf("--format %q: want table or json", format))
			}
			if experiment != "" {
				if len(tags) > 0 {
					return usage(fmt.Errorf("give --tag or --experiment, not both"))
				}
				exp, err := config.LoadExperiment(experiment)
				if err != nil {
					return usage(err)
				}
				cells, err := exp.Cells()
				if err != nil {
					return usage(err)
				}
				for _, c := range cells {
					tags = append(tags, c.Tag)
				}
			}
			if len(tags) == 0 {
				return usage(fmt.Errorf("--tag or --experiment is required"))
			}
			st, _, err := sf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			var rep CostReport
			for _, tag := range tags {
				eps, err := episodesUnderTag(cmd.Context(), st, tag)
				if err != nil {
					return err
				}
				rc, err := tagConfig(cmd.Context(), st, tag)
				if err != nil {
					return err
				}
				rep.Tags = append(rep.Tags, tagCost(tag, eps, roleModels(rc)))
			}
			rep.sum()
			if format == "json" {
				return encodeIndented(cmd.OutOrStdout(), rep)
			}
			return rep.writeTable(cmd.OutOrStdout())
		},
	}
	sf.define(cmd, false)
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "tags to sum (comma-separated or repeated)")
	cmd.Flags().StringVar(&experiment, "experiment", "", "sum the tags of this experiment file's cells")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// costRoles are the meter's roles in call order.
var costRoles = []string{"agent", "judge", "embedder", "optimiser"}

// tagCost sums a tag's episodes' usage by role.
func tagCost(tag string, eps []*sotopia.EpisodeLog, models map[string]string) TagCost {
	tc := TagCost{Tag: tag, Episodes: len(eps)}
	var sum sotopia.Usage
	for _, ep := range eps {
		if ep.Usage != nil {
			tc.Recorded++
			sum.Add(*ep.Usage)
		}
	}
	roles := append([]string(nil), costRoles...)
	for r := range sum.ByRole {
		if !contains(roles, r) {
			roles = append(roles, r)
		}
	}
	for _, r := range roles {
		u, ok := sum.ByRole[r]
		if !ok {
			continue
		}
		row := costRow(tag, r, models[r], u)
		tc.Rows = append(tc.Rows, row)
	}
	tc.Total = costRow(tag, "total", "", sum)
	return tc
}

func costRow(tag, role, model string, u sotopia.Usage) CostRow {
	if model == "" && role != "total" {
		model = "?"
	}
	return CostRow{Tag: tag, Role: role, Model: model, Calls: u.Calls, Retries: u.Retries, PromptTokens: u.PromptTokens,
		CachedTokens: u.CachedTokens, CompletionTokens: u.CompletionTokens, CostUSD: u.CostUSD}
}

func (r *CostRow) add(o CostRow) {
	r.Calls += o.Calls
	r.Retries += o.Retries
	r.PromptTokens += o.PromptTokens
	r.CachedTokens += o.CachedTokens
	r.CompletionTokens += o.CompletionTokens
	r.CostUSD += o.CostUSD
}

// sum fills ByModel and Total from the tags.
func (rep *CostReport) sum() {
	index := map[[2]string]int{}
	rep.Total = CostRow{Role: "total"}
	for _, t := range rep.Tags {
		for _, r := range t.Rows {
			k := [2]string{r.Role, r.Model}
			i, ok := index[k]
			if !ok {
				i = len(rep.ByModel)
				index[k] = i
				rep.ByModel = append(rep.ByModel, CostRow{Role: r.Role, Model: r.Model})
			}
			rep.ByModel[i].add(r)
		}
		rep.Total.add(t.Total)
	}
	sort.SliceStable(rep.ByModel, func(i, j int) bool {
		return roleRank(rep.ByModel[i].Role) < roleRank(rep.ByModel[j].Role)
	})
}

func roleRank(role string) int {
	for i, r := range costRoles {
		if r == role {
			return i
		}
	}
	return len(costRoles)
}

func (rep CostReport) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "tag\trole\tmodel\tcalls\tretries\tprompt\tcached\tcompletion\tUSD\t"
	line := func(r CostRow) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.4f\t\n", r.Tag, r.Role, r.Model, r.Calls, r.Retries,
			r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.CostUSD)
	}
	fmt.Fprintln(tw, header)
	for _, t := range rep.Tags {
		for _, r := range t.Rows {
			line(r)
		}
		line(t.Total)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range rep.Tags {
		if t.Recorded == 0 {
			fmt.Fprintf(w, "%s: none of its %d episodes made an LLM call (the simulated world) or recorded usage\n", t.Tag, t.Episodes)
		} else if t.Recorded < t.Episodes {
			fmt.Fprintf(w, "%s: %d of %d episodes carry usage records\n", t.Tag, t.Recorded, t.Episodes)
		}
	}
	if len(rep.Tags) > 1 {
		fmt.Fprintln(w, "\nall tags, by role and model:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, header)
		for _, r := range append(append([]CostRow(nil), rep.ByModel...), rep.Total) {
			r.Tag = "all"
			line(r)
		}
		return tw.Flush()
	}
	return nil
}

// roleModels names each meter role's model(s) from a tag's bound configuration (identity JSON:
// live roles are resolved there). Unknown (no recorded configuration): empty.
func roleModels(rc *store.RunConfig) map[string]string {
	out := map[string]string{}
	if rc == nil {
		return out
	}
	var doc map[string]any
	if json.Unmarshal(rc.Config, &doc) != nil {
		return out
	}
	get := func(k string) string { s, _ := doc[k].(string); return s }
	if _, sim := doc["sim"]; sim {
		for _, r := range costRoles {
			out[r] = "sim"
		}
		return out
	}
	join := func(labelled ...[2]string) string {
		var parts []string
		seen := map[string]bool{}
		for _, l := range labelled {
			if l[1] == "" || seen[l[1]] {
				continue
			}
			seen[l[1]] = true
			parts = append(parts, l[1])
		}
		if len(parts) > 1 {
			parts = parts[:0]
			for _, l := range labelled {
				if l[1] != "" {
					parts = append(parts, l[1]+" ("+l[0]+")")
				}
			}
		}
		return strings.Join(parts, ", ")
	}
	out["agent"] = join([2]string{"p1", get("p1_model")}, [2]string{"p2", get("p2_model")})
	out["judge"] = join([2]string{"per-turn", get("reward_eval_model")}, [2]string{"terminal", get("terminal_eval_model")})
	out["embedder"] = get("embedding_model")
	out["optimiser"] = get("optimizer_model")
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
