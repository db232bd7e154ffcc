package report

import (
	"fmt"
	"sort"

	"github.com/also-project/also/report/stats"
	"github.com/also-project/also/sotopia"
)

// The paper's two other results (also-method.md 10.2) compare tags by a role each plays: the
// generalisation experiment's modes, and the strategy analysis's fixed arms. Both report the
// per-episode mean of both seats (the paper's aggregate) and paired differences over the tasks
// both tags scored, with Comparison's bootstrap CI, sign-flip p and Holm correction.

// Generalisation modes of the artifact's run_generalization_experiment.py.
const (
	ModeBaseline = "baseline" // cold start on the test scenarios
	ModeTest     = "test"     // pre-trained, frozen
	ModeFinetune = "finetune" // pre-trained, learning continues
)

// MetricGoal is the goal dimension's key: the paper quotes Goal next to Overall.
const MetricGoal = "goal"

// contrastMetrics are the metrics the transfer and strategy tables show, when present.
var contrastMetrics = []string{MetricGoal, MetricOverall, MetricRegret}

// Contrast is one paired difference, Tag - Baseline, on the seats' mean.
type Contrast struct {
	Label    string `json:"label"`
	Tag      string `json:"tag"`
	Baseline string `json:"baseline"`
	Metric   string `json:"metric"`
	stats.Paired
}

// ModeRow is one tag of a transfer table: its mode and the seats' mean per metric.
type ModeRow struct {
	Mode    string                   `json:"mode"`
	Tag     string                   `json:"tag"`
	Counts  string                   `json:"counts"`
	Metrics map[string]stats.Summary `json:"metrics"`
}

// TransferTable is the generalisation comparison: baseline, test and finetune, and the paired
// differences test - baseline, finetune - baseline and finetune - test.
type TransferTable struct {
	EvalSet   string     `json:"eval_set"`
	Rows      []ModeRow  `json:"rows"`
	Contrasts []Contrast `json:"contrasts"`
}

// Transfer builds the generalisation comparison; modes[i] is tags[i]'s mode. It needs exactly one
// baseline and at most one tag of each other mode, and at least one of them.
func Transfer(tags []TagEpisodes, modes []string, evalSet string, ds *sotopia.Dataset) (TransferTable, error) {
	if len(modes) != len(tags) {
		return TransferTable{}, fmt.Errorf("%d tags, %d modes", len(tags), len(modes))
	}
	byMode := map[string]TagResult{}
	for i, t := range tags {
		m := modes[i]
		if m != ModeBaseline && m != ModeTest && m != ModeFinetune {
			return TransferTable{}, fmt.Errorf("tag %s: mode %q (want baseline, test or finetune)", t.Tag, m)
		}
		if prev, dup := byMode[m]; dup {
			return TransferTable{}, fmt.Errorf("tags %s and %s are both %s: compare one split at a time", prev.Tag, t.Tag, m)
		}
		byMode[m] = scoreTag(t, evalSet, ds)
	}
	if _, ok := byMode[ModeBaseline]; !ok {
		return TransferTable{}, fmt.Errorf("no baseline tag (a cold start: no policy_in) among %d tags", len(tags))
	}
	if len(byMode) < 2 {
		return TransferTable{}, fmt.Errorf("only a baseline: add the test (policy_in, policy_freeze) or finetune (policy_in) tag")
	}
	tt := TransferTable{EvalSet: evalSet}
	for _, m := range []string{ModeBaseline, ModeTest, ModeFinetune} {
		if r, ok := byMode[m]; ok {
			tt.Rows = append(tt.Rows, ModeRow{Mode: m, Tag: r.Tag, Counts: r.Counts(), Metrics: r.Seat("avg").Metrics})
		}
	}
	for _, pair := range [][2]string{{ModeTest, ModeBaseline}, {ModeFinetune, ModeBaseline}, {ModeFinetune, ModeTest}} {
		a, okA := byMode[pair[0]]
		b, okB := byMode[pair[1]]
		if okA && okB {
			tt.Contrasts = append(tt.Contrasts, contrasts(pair[0]+" - "+pair[1], a, b)...)
		}
	}
	holmContrasts(tt.Contrasts)
	return tt, nil
}

// StrategyRow is one fixed arm of a strategy analysis, ranked by the seats' mean Overall.
type StrategyRow struct {
	Rank     int                      `json:"rank"`
	Arm      int                      `json:"arm"`
	Strategy string                   `json:"strategy"`
	Tag      string                   `json:"tag"`
	Tasks    int                      `json:"tasks"`
	Scored   int                      `json:"scored"`
	Metrics  map[string]stats.Summary `json:"metrics"`
	// VsReference holds the paired differences against the reference arm (none for it).
	VsReference []Contrast `json:"vs_reference,omitempty"`
}

// StrategyTable is the strategy analysis: every arm held fixed, ranked, each against arm
// Reference (0, no strategy).
type StrategyTable struct {
	EvalSet   string        `json:"eval_set"`
	Reference int           `json:"reference_arm"`
	Rows      []StrategyRow `json:"rows"`
}

// StrategyArm names the arm a tag held fixed.
type StrategyArm struct {
	Index int
	Name  string
}

// Strategies ranks tags that each held one arm fixed (arms[i] is tags[i]'s) by the seats' mean
// Overall, and compares each with the tag of arm 0. The arms must differ and include 0.
func Strategies(tags []TagEpisodes, arms []StrategyArm, evalSet string, ds *sotopia.Dataset) (StrategyTable, error) {
	if len(arms) != len(tags) {
		return StrategyTable{}, fmt.Errorf("%d tags, %d arms", len(tags), len(arms))
	}
	seen := map[int]string{}
	ref := -1
	results := make([]TagResult, len(tags))
	for i, t := range tags {
		if prev, dup := seen[arms[i].Index]; dup {
			return StrategyTable{}, fmt.Errorf("tags %s and %s both hold arm %d: compare one run per arm", prev, t.Tag, arms[i].Index)
		}
		seen[arms[i].Index] = t.Tag
		if arms[i].Index == 0 {
			ref = i
		}
		results[i] = scoreTag(t, evalSet, ds)
	}
	if ref < 0 {
		return StrategyTable{}, fmt.Errorf("no tag holds arm 0 (no strategy), the reference every strategy is compared with")
	}
	st := StrategyTable{EvalSet: evalSet, Reference: 0}
	var family [][]Contrast
	for i, r := range results {
		row := StrategyRow{Arm: arms[i].Index, Strategy: arms[i].Name, Tag: r.Tag, Tasks: r.Tasks, Scored: r.Scored, Metrics: r.Seat("avg").Metrics}
		if i != ref {
			row.VsReference = contrasts(fmt.Sprintf("arm %d - arm 0", arms[i].Index), r, results[ref])
			family = append(family, row.VsReference)
		}
		st.Rows = append(st.Rows, row)
	}
	holmContrasts(family...)
	sort.SliceStable(st.Rows, func(a, b int) bool {
		ma, mb := st.Rows[a].Metrics[MetricOverall], st.Rows[b].Metrics[MetricOverall]
		if ma.N == 0 || mb.N == 0 {
			return ma.N > mb.N // unscored arms last
		}
		if ma.Mean != mb.Mean {
			return ma.Mean > mb.Mean
		}
		return st.Rows[a].Arm < st.Rows[b].Arm
	})
	for i := range st.Rows {
		st.Rows[i].Rank = i + 1
	}
	return st, nil
}

// contrasts are a - b on the seats' mean for every contrast metric both have, over their common
// scored tasks.
func contrasts(label string, a, b TagResult) []Contrast {
	var out []Contrast
	for _, d := range pairedOn(a, b, []string{"avg"}, contrastMetrics) {
		out = append(out, Contrast{Label: label, Tag: a.Tag, Baseline: b.Tag, Metric: d.Metric, Paired: d.Paired})
	}
	return out
}

// holmContrasts Holm-corrects the p of every contrast in groups as one family, in place.
func holmContrasts(groups ...[]Contrast) {
	var ps []float64
	for _, g := range groups {
		for _, c := range g {
			ps = append(ps, c.P)
		}
	}
	holm := stats.Holm(ps)
	for _, g := range groups {
		for i := range g {
			g[i].PHolm, holm = holm[0], holm[1:]
		}
	}
}
