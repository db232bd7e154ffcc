package report

import (
	"fmt"
	"slices"
	"sort"

	"github.com/also-project/also/report/stats"
	"github.com/also-project/also/sotopia"
)

// Metric keys beyond the Sotopia dimensions: the overall score, the mean per-turn reward of an
// episode and its cumulative regret (sim world only).
const (
	MetricOverall    = "overall"
	MetricTurnReward = "turn_reward"
	MetricRegret     = "regret"
)

// SeatNames are the rows of a comparison: each seat, then the per-episode mean of both seats
// (the paper's aggregate, also-method.md 3.4).
var SeatNames = []string{"p1", "p2", "avg"}

// Metrics lists the compared metrics in display order: overall, the seven dimensions, then the
// per-turn reward and the cumulative regret.
func Metrics() []string {
	out := []string{MetricOverall}
	for _, d := range sotopia.Dimensions {
		out = append(out, d.Key)
	}
	return append(out, MetricTurnReward, MetricRegret)
}

// MetricLabel is a metric's short column name.
func MetricLabel(m string) string {
	switch m {
	case MetricOverall:
		return "Overall"
	case MetricTurnReward:
		return "turn reward"
	case MetricRegret:
		return "cum. regret"
	}
	for _, d := range sotopia.Dimensions {
		if d.Key == m {
			return d.Abbrev
		}
	}
	return m
}

// TagResult is one tag's scores: per seat and metric a mean with its 95% t interval and n.
// Each task counts once (its last attempt); failed and interrupted tasks are counted, not averaged.
type TagResult struct {
	Tag         string `json:"tag"`
	EvalSet     string `json:"eval_set"`
	Tasks       int    `json:"tasks"`
	Scored      int    `json:"scored"`
	Failed      int    `json:"failed"`
	Interrupted int    `json:"interrupted"`
	// Seats[i] holds SeatNames[i]; a metric without any value (regret outside the sim) is absent.
	Seats []SeatResult `json:"seats"`

	values map[string]taskValues // task -> seat -> metric -> value, scored tasks only
}

// SeatResult is one row group of a TagResult.
type SeatResult struct {
	Seat    string                   `json:"seat"`
	Metrics map[string]stats.Summary `json:"metrics"`
}

type taskValues [3]map[string]float64

// Difference is a paired comparison of a tag against the baseline on one seat and metric, over
// the tasks both scored. PHolm is Holm-corrected across every Difference of the Comparison.
type Difference struct {
	Tag      string `json:"tag"`
	Baseline string `json:"baseline"`
	Seat     string `json:"seat"`
	Metric   string `json:"metric"`
	stats.Paired
}

// Comparison is `also compare`.
type Comparison struct {
	EvalSet     string       `json:"eval_set"`
	Baseline    string       `json:"baseline,omitempty"`
	Level       float64      `json:"confidence_level"`
	Resamples   int          `json:"bootstrap_resamples"`
	Seed        uint64       `json:"bootstrap_seed"`
	Tags        []TagResult  `json:"tags"`
	Differences []Difference `json:"differences"`
}

// TagEpisodes is one tag's stored episodes (every attempt).
type TagEpisodes struct {
	Tag      string
	Episodes []*sotopia.EpisodeLog
}

// LastAttempts keeps each task's last attempt (by attempt number), in first-seen task order.
func LastAttempts(eps []*sotopia.EpisodeLog) []*sotopia.EpisodeLog {
	last := map[string]*sotopia.EpisodeLog{}
	var order []string
	for _, ep := range eps {
		key := taskKey(ep)
		cur, ok := last[key]
		if !ok {
			order = append(order, key)
		}
		if !ok || ep.Attempt >= cur.Attempt {
			last[key] = ep
		}
	}
	out := make([]*sotopia.EpisodeLog, len(order))
	for i, k := range order {
		out[i] = last[k]
	}
	return out
}

func taskKey(ep *sotopia.EpisodeLog) string {
	if ep.TaskID != "" {
		return ep.TaskID
	}
	return ep.PK
}

// Scored says whether an episode has final scores for both seats and was not failed or cut.
func Scored(ep *sotopia.EpisodeLog) bool {
	if ep.Status == sotopia.StatusFailed || ep.Status == sotopia.StatusInterrupted || len(ep.Rewards) != sotopia.Seats {
		return false
	}
	for _, r := range ep.Rewards {
		if !r.Valid {
			return false
		}
	}
	return true
}

// InEvalSet says whether an episode belongs to the evaluation set (all, or Sotopia-hard).
func InEvalSet(ep *sotopia.EpisodeLog, evalSet string, ds *sotopia.Dataset) bool {
	return evalSet != "hard" || ds == nil || ds.IsHard(ep.Environment)
}

// Compare scores every tag and, when there are two tags or more, compares each against baseline
// (the first tag when empty) with paired bootstraps, Holm-corrected together.
func Compare(tags []TagEpisodes, evalSet, baseline string, ds *sotopia.Dataset) (Comparison, error) {
	if evalSet != "all" && evalSet != "hard" {
		return Comparison{}, fmt.Errorf("eval set %q: must be all or hard", evalSet)
	}
	if len(tags) == 0 {
		return Comparison{}, fmt.Errorf("no tags to compare")
	}
	c := Comparison{EvalSet: evalSet, Level: stats.Level, Resamples: stats.Resamples, Seed: stats.Seed, Differences: []Difference{}}
	base := -1
	for i, t := range tags {
		c.Tags = append(c.Tags, scoreTag(t, evalSet, ds))
		if t.Tag == baseline {
			base = i
		}
	}
	if baseline == "" {
		base = 0
	}
	if base < 0 {
		return Comparison{}, fmt.Errorf("baseline %q is not among the compared tags", baseline)
	}
	if len(tags) < 2 {
		return c, nil
	}
	c.Baseline = tags[base].Tag
	for i := range c.Tags {
		if i == base {
			continue
		}
		c.Differences = append(c.Differences, paired(c.Tags[i], c.Tags[base])...)
	}
	ps := make([]float64, len(c.Differences))
	for i, d := range c.Differences {
		ps[i] = d.P
	}
	for i, p := range stats.Holm(ps) {
		c.Differences[i].PHolm = p
	}
	return c, nil
}

func scoreTag(t TagEpisodes, evalSet string, ds *sotopia.Dataset) TagResult {
	r := TagResult{Tag: t.Tag, EvalSet: evalSet, values: map[string]taskValues{}}
	samples := [3]map[string][]float64{{}, {}, {}}
	for _, ep := range LastAttempts(t.Episodes) {
		if !InEvalSet(ep, evalSet, ds) {
			continue
		}
		r.Tasks++
		switch {
		case Scored(ep):
			r.Scored++
		case ep.Status == sotopia.StatusInterrupted:
			r.Interrupted++
			continue
		default:
			r.Failed++
			continue
		}
		tv := episodeValues(ep)
		r.values[taskKey(ep)] = tv
		for s := range tv {
			for m, v := range tv[s] {
				samples[s][m] = append(samples[s][m], v)
			}
		}
	}
	for s, name := range SeatNames {
		sr := SeatResult{Seat: name, Metrics: map[string]stats.Summary{}}
		for m, xs := range samples[s] {
			sr.Metrics[m] = stats.Describe(xs)
		}
		r.Seats = append(r.Seats, sr)
	}
	return r
}

// episodeValues are a scored episode's metrics per seat and for the seats' mean.
func episodeValues(ep *sotopia.EpisodeLog) taskValues {
	tv := taskValues{{}, {}, {}}
	for seat := range sotopia.Seats {
		sc := ep.Rewards[seat].Scores
		tv[seat][MetricOverall] = sc.Overall()
		for i, d := range sotopia.Dimensions {
			tv[seat][d.Key] = sc[i]
		}
		if v, ok := meanTurnReward(ep, seat); ok {
			tv[seat][MetricTurnReward] = v
		}
		if v, ok := CumulativeRegret(ep, seat); ok {
			tv[seat][MetricRegret] = v
		}
	}
	for m, v0 := range tv[0] {
		if v1, ok := tv[1][m]; ok {
			tv[2][m] = (v0 + v1) / 2
		}
	}
	return tv
}

func paired(t, base TagResult) []Difference {
	return pairedOn(t, base, SeatNames, Metrics())
}

// pairedOn is paired restricted to some seats and metrics (the bootstraps are the cost).
func pairedOn(t, base TagResult, seats, metrics []string) []Difference {
	var tasks []string
	for k := range t.values {
		if _, ok := base.values[k]; ok {
			tasks = append(tasks, k)
		}
	}
	sort.Strings(tasks) // the bootstrap's draws depend on the order: keep it fixed
	var out []Difference
	for s, seat := range SeatNames {
		if !slices.Contains(seats, seat) {
			continue
		}
		for _, m := range metrics {
			var diffs []float64
			for _, k := range tasks {
				a, okA := t.values[k][s][m]
				b, okB := base.values[k][s][m]
				if okA && okB {
					diffs = append(diffs, a-b)
				}
			}
			if len(diffs) == 0 {
				continue
			}
			out = append(out, Difference{Tag: t.Tag, Baseline: base.Tag, Seat: seat, Metric: m,
				Paired: stats.PairedBootstrap(diffs, stats.Resamples, stats.Seed)})
		}
	}
	return out
}

// Seat returns the named seat's result (p1, p2 or avg).
func (r TagResult) Seat(name string) SeatResult {
	for _, s := range r.Seats {
		if s.Seat == name {
			return s
		}
	}
	return SeatResult{Seat: name, Metrics: map[string]stats.Summary{}}
}
