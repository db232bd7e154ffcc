package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/also-project/also/report/stats"
)

func contrastFixtures() (TransferTable, StrategyTable) {
	sum := func(m float64) stats.Summary {
		return stats.Summary{N: 4, Mean: m, Lo: m - 1, Hi: m + 1, Defined: true}
	}
	diff := func(label, tag, base, metric string) Contrast {
		return Contrast{Label: label, Tag: tag, Baseline: base, Metric: metric, Paired: stats.Paired{N: 4, MeanDiff: 0.5, Lo: 0.1, Hi: 0.9, P: 0.02, PHolm: 0.04}}
	}
	tr := TransferTable{EvalSet: "all",
		Rows: []ModeRow{
			{Mode: ModeBaseline, Tag: "cold", Counts: "4/4", Metrics: map[string]stats.Summary{MetricGoal: sum(5), MetricOverall: sum(2)}},
			{Mode: ModeTest, Tag: "frozen", Counts: "4/4", Metrics: map[string]stats.Summary{MetricGoal: sum(6), MetricOverall: sum(3)}},
		},
		Contrasts: []Contrast{diff("test - baseline", "frozen", "cold", MetricGoal)},
	}
	st := StrategyTable{EvalSet: "hard", Reference: 0,
		Rows: []StrategyRow{
			{Rank: 1, Arm: 3, Strategy: "flattery", Tag: "arm3", Tasks: 4, Scored: 4, Metrics: map[string]stats.Summary{MetricOverall: sum(3)},
				VsReference: []Contrast{diff("arm 3 - arm 0", "arm3", "arm0", MetricOverall)}},
			{Rank: 2, Arm: 0, Strategy: "none", Tag: "arm0", Tasks: 4, Scored: 3, Metrics: map[string]stats.Summary{MetricOverall: sum(2)}},
		},
	}
	return tr, st
}

// Every layout of the contrast tables: CSV is rectangular with one row per (row, metric) and per
// difference; the text layouts carry every tag and the differences; JSON round-trips; an unknown
// format is an error naming it, with nothing written.
func TestContrastWritersLayouts(t *testing.T) {
	tr, st := contrastFixtures()
	writers := map[string]func(*bytes.Buffer, string) error{
		"transfer":   func(b *bytes.Buffer, f string) error { return WriteTransfer(b, tr, f) },
		"strategies": func(b *bytes.Buffer, f string) error { return WriteStrategies(b, st, f) },
	}
	wantCSV := map[string]int{"transfer": 1 + 2*2 + 1, "strategies": 1 + 2 + 1}
	wantText := map[string][]string{
		"transfer":   {"generalisation (all)", "cold", "frozen", "test - baseline", "+0.500"},
		"strategies": {"strategy analysis (hard)", "flattery", "(reference)", "+0.500 [+0.100, +0.900]", "3/4"},
	}
	for name, write := range writers {
		var b bytes.Buffer
		if err := write(&b, "csv"); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll() // fails on a ragged row
		if err != nil || len(recs) != wantCSV[name] {
			t.Errorf("%s csv: %d records, %v; want %d\n%s", name, len(recs), err, wantCSV[name], b.String())
		}
		for _, f := range []string{"table", "md"} {
			b.Reset()
			if err := write(&b, f); err != nil {
				t.Fatal(err)
			}
			for _, s := range wantText[name] {
				if !strings.Contains(b.String(), s) {
					t.Errorf("%s %s lacks %q:\n%s", name, f, s, b.String())
				}
			}
			if md := strings.Contains(b.String(), "### "); md != (f == "md") {
				t.Errorf("%s %s: Markdown heading %v", name, f, md)
			}
		}
		b.Reset()
		if err := write(&b, "json"); err != nil || !strings.Contains(b.String(), `"eval_set"`) {
			t.Errorf("%s json: %v\n%s", name, err, b.String())
		}
		b.Reset()
		if err := write(&b, "xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) || b.Len() != 0 {
			t.Errorf("%s xml: %v, wrote %d bytes; want an error naming the format and nothing written", name, err, b.Len())
		}
	}
}
