package session

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteText prints a plan for people: what runs, then calls, tokens and dollars per role.
func (p *Plan) WriteText(w io.Writer) error {
	c := p.Config
	var b strings.Builder
	fmt.Fprintf(&b, "plan (nothing was called, written or spent): tag %s, %s world\n", c.Tag, p.World)
	fmt.Fprintf(&b, "episodes: %d", len(p.Tasks))
	if len(c.Tasks) > 0 {
		fmt.Fprintf(&b, " (explicit tasks)")
	} else {
		fmt.Fprintf(&b, " (subset %s", c.Subset)
		if c.MaxEpisodes > 0 {
			fmt.Fprintf(&b, ", max_episodes %d", c.MaxEpisodes)
		}
		b.WriteString(")")
	}
	if c.Resume {
		fmt.Fprintf(&b, ", %d already done under the tag and skipped", p.Skipped)
	}
	fmt.Fprintf(&b, "; up to %d steps each (max_turns %d, era %s); optimise %s with %s; batch size %d\n",
		p.StepsPerEpisode, c.MaxTurns, c.Era, c.Optimize, c.Bandit, c.BatchSize)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "role\tmodel\tcalls\tprompt tokens\tcompletion tokens\tUSD\t")
	for _, r := range append(p.Rows, p.Total) {
		usd := fmt.Sprintf("%.2f", r.CostUSD)
		if !r.Priced {
			usd += " (unpriced)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t\n", r.Role, r.Model, r.Calls, r.PromptTokens, r.CompletionTokens, usd)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var tail strings.Builder
	fmt.Fprintf(&tail, "assumptions: every episode runs all %d steps with one utterance of %d tokens per step; judge answers %d tokens; "+
		"tokens = bytes/4 of the rendered prompts; retries and fix-up calls for unparsable agent output are not counted\n",
		p.StepsPerEpisode, p.Assumptions.UtteranceTokens, p.Assumptions.JudgeCompletionTokens)
	if len(p.KeyVars) > 0 {
		fmt.Fprintf(&tail, "keys needed to run: %s\n", strings.Join(p.KeyVars, ", "))
	}
	names := make([]string, 0, len(c.OpenRouterProvider))
	for name := range c.OpenRouterProvider {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&tail, "openrouter provider preferences for %s: %s\n", name, providerJSON(c.OpenRouterProvider[name]))
	}
	for _, n := range p.Notes {
		tail.WriteString(n + "\n")
	}
	_, err := io.WriteString(w, tail.String())
	return err
}

func providerJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
