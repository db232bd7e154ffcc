package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/also-project/also/report/stats"
	"github.com/also-project/also/sotopia"
)

// goalEpisode is an episode whose only non-zero dimension is goal, per seat.
func goalEpisode(tag, task string, attempt int, status string, goals ...float64) *sotopia.EpisodeLog {
	ep := &sotopia.EpisodeLog{PK: tag + task + string(rune('0'+attempt)), Tag: tag, TaskID: task, Attempt: attempt, Status: status, Environment: "env-" + task}
	for _, g := range goals {
		var s sotopia.Scores
		s[sotopia.Goal] = g
		ep.Rewards = append(ep.Rewards, sotopia.NewSeatReward(s))
	}
	return ep
}

func fixture() []TagEpisodes {
	return []TagEpisodes{
		{Tag: "base", Episodes: []*sotopia.EpisodeLog{
			goalEpisode("base", "T1", 1, sotopia.StatusDone, 4, 6),
			goalEpisode("base", "T2", 1, sotopia.StatusDone, 8, 8),
			goalEpisode("base", "T3", 1, sotopia.StatusFailed),
			goalEpisode("base", "T4", 1, sotopia.StatusInterrupted),
		}},
		{Tag: "treat", Episodes: []*sotopia.EpisodeLog{
			goalEpisode("treat", "T1", 1, sotopia.StatusFailed),
			goalEpisode("treat", "T1", 2, sotopia.StatusDone, 6, 6),
			goalEpisode("treat", "T2", 1, sotopia.StatusDone, 9, 9),
			goalEpisode("treat", "T3", 1, sotopia.StatusDone, 5, 5),
		}},
	}
}

func TestCompareCountsAndIntervals(t *testing.T) {
	c, err := Compare(fixture(), "all", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	base, treat := c.Tags[0], c.Tags[1]
	if base.Tasks != 4 || base.Scored != 2 || base.Failed != 1 || base.Interrupted != 1 {
		t.Errorf("base counts: %s", base.Counts())
	}
	// T1's last attempt is done: the failed first attempt does not count.
	if treat.Tasks != 3 || treat.Scored != 3 || treat.Failed != 0 {
		t.Errorf("treat counts: %s", treat.Counts())
	}
	// By hand: p1 goals 4, 8: mean 6, s = 2.828427, t(0.975, 1) = 12.7062, half width 25.4124.
	g := base.Seat("p1").Metrics["goal"]
	if g.N != 2 || math.Abs(g.Mean-6) > 1e-12 || math.Abs(g.Hi-g.Mean-25.4124) > 1e-3 {
		t.Errorf("base p1 goal = %+v", g)
	}
	// avg = per-episode mean of the seats: 5 and 8.
	if a := base.Seat("avg").Metrics["goal"]; a.N != 2 || math.Abs(a.Mean-6.5) > 1e-12 {
		t.Errorf("base avg goal = %+v", a)
	}
	if o := base.Seat("avg").Metrics[MetricOverall]; math.Abs(o.Mean-6.5/7) > 1e-12 {
		t.Errorf("base avg overall = %+v, want goal/7", o)
	}
	if _, ok := base.Seat("p1").Metrics[MetricRegret]; ok {
		t.Error("regret reported for episodes without turn regret")
	}
}

func TestComparePairsOnCommonTasksWithHolm(t *testing.T) {
	c, err := Compare(fixture(), "all", "base", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Baseline != "base" || c.Resamples != stats.Resamples {
		t.Fatalf("baseline %q resamples %d", c.Baseline, c.Resamples)
	}
	var ps []float64
	found := 0
	for _, d := range c.Differences {
		ps = append(ps, d.P)
		if d.Metric != "goal" {
			continue
		}
		found++
		// Only T1 and T2 are scored by both (base failed T3).
		if d.N != 2 {
			t.Errorf("%s goal: n %d, want 2", d.Seat, d.N)
		}
		want := map[string]float64{"p1": 1.5, "p2": 0.5, "avg": 1}[d.Seat]
		if math.Abs(d.MeanDiff-want) > 1e-12 {
			t.Errorf("%s goal diff %v, want %v", d.Seat, d.MeanDiff, want)
		}
	}
	if found != 3 || len(c.Differences) != 3*8 {
		t.Fatalf("%d goal rows, %d rows in all (want 3 and 24)", found, len(c.Differences))
	}
	for i, p := range stats.Holm(ps) {
		if c.Differences[i].PHolm != p || p < c.Differences[i].P {
			t.Errorf("row %d: p %v, Holm %v, want %v", i, c.Differences[i].P, c.Differences[i].PHolm, p)
		}
	}
	// avg goal: the differences are 1 and 1, so the interval is [1, 1].
	for _, d := range c.Differences {
		if d.Seat == "avg" && d.Metric == "goal" && (d.Lo != 1 || d.Hi != 1) {
			t.Errorf("avg goal CI [%v, %v], want [1, 1]", d.Lo, d.Hi)
		}
	}
}

func TestCompareRejectsUnknownBaselineAndEvalSet(t *testing.T) {
	if _, err := Compare(fixture(), "all", "nope", nil); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown baseline: %v", err)
	}
	if _, err := Compare(fixture(), "medium", "", nil); err == nil {
		t.Error("unknown eval set accepted")
	}
}

func TestComparisonFormats(t *testing.T) {
	c, err := Compare(fixture(), "all", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteComparison(&buf, c, "csv"); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// header + 2 tags x 3 seats x 8 metrics + 24 differences
	if len(rows) != 1+48+24 || rows[0][0] != "kind" {
		t.Errorf("csv: %d rows, header %v", len(rows), rows[0])
	}
	buf.Reset()
	if err := WriteComparison(&buf, c, "json"); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Tags) != 2 || len(back.Differences) != 24 {
		t.Errorf("json: %v, %d tags", err, len(back.Tags))
	}
	buf.Reset()
	if err := WriteComparison(&buf, c, "md"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| metric | p1 (n=2) | p2 (n=2) | avg (n=2) |") || !strings.Contains(buf.String(), "1 failed, 1 interrupted") {
		t.Errorf("markdown:\n%s", buf.String())
	}
	if err := WriteComparison(&buf, c, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestPaperTableUsesTheSeatsMean(t *testing.T) {
	all, _ := Compare(fixture(), "all", "", nil)
	hard, _ := Compare(fixture(), "hard", "", nil) // no dataset: every episode counts as hard
	rows := PaperTable(all, hard)
	if len(rows) != 2 || math.Abs(rows[1].All["goal"].Mean-20.0/3) > 1e-12 {
		t.Fatalf("rows %+v", rows)
	}
	var buf bytes.Buffer
	if err := WritePaperTable(&buf, rows, "table"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "All Goal") || !strings.Contains(buf.String(), "Hard Overall") || !strings.Contains(buf.String(), "6.667 ±") {
		t.Errorf("paper table:\n%s", buf.String())
	}
}
