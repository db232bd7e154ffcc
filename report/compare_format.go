package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/also-project/also/report/stats"
)

// Formats `also compare` writes.
var CompareFormats = []string{"table", "csv", "md", "json"}

// WriteComparison writes c as an aligned table, CSV (long format, one row per tag/seat/metric and
// per difference), Markdown tables, or JSON.
func WriteComparison(w io.Writer, c Comparison, format string) error {
	switch format {
	case "json":
		return writeJSON(w, c)
	case "csv":
		return writeComparisonCSV(w, c)
	case "table", "md":
		return writeComparisonText(w, c, format == "md")
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(CompareFormats, ", "))
}

// CI formats a summary as "mean [lo, hi]" (just the mean when n < 2).
func CI(s stats.Summary) string {
	if s.N == 0 {
		return "-"
	}
	if !s.Defined {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.Lo, s.Hi)
}

// PValue formats a p-value; below 0.001 it is shown as a bound.
func PValue(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// Counts says how many tasks a tag scored, failed and had interrupted.
func (r TagResult) Counts() string {
	return fmt.Sprintf("%d tasks: %d scored, %d failed, %d interrupted", r.Tasks, r.Scored, r.Failed, r.Interrupted)
}

// PresentMetrics are the metrics with at least one value in any tag (regret only in the sim).
func (c Comparison) PresentMetrics() []string {
	var out []string
	for _, m := range Metrics() {
		for _, t := range c.Tags {
			if _, ok := t.Seat("avg").Metrics[m]; ok {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

type textTable struct {
	w  io.Writer
	md bool
	tw *tabwriter.Writer
	n  int
}

func newTextTable(w io.Writer, md bool, head ...string) *textTable {
	t := &textTable{w: w, md: md, n: len(head)}
	if md {
		fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
		fmt.Fprintln(w, "|"+strings.Repeat("---|", len(head)))
		return t
	}
	t.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t.tw, strings.Join(head, "\t"))
	return t
}

func (t *textTable) row(cells ...string) {
	if t.md {
		fmt.Fprintln(t.w, "| "+strings.Join(cells, " | ")+" |")
		return
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *textTable) flush() error {
	if t.tw != nil {
		return t.tw.Flush()
	}
	return nil
}

func writeComparisonText(w io.Writer, c Comparison, md bool) error {
	heading := func(s string) {
		if md {
			fmt.Fprintf(w, "### %s\n\n", s)
		} else {
			fmt.Fprintln(w, s)
		}
	}
	metrics := c.PresentMetrics()
	for _, t := range c.Tags {
		heading(fmt.Sprintf("%s (%s): %s; mean [95%% CI]", displayName(t.Tag), t.EvalSet, t.Counts()))
		head := []string{"metric"}
		for _, s := range SeatNames {
			head = append(head, fmt.Sprintf("%s (n=%d)", s, t.Seat(s).Metrics[MetricOverall].N))
		}
		tt := newTextTable(w, md, head...)
		for _, m := range metrics {
			row := []string{MetricLabel(m)}
			for _, s := range SeatNames {
				row = append(row, CI(t.Seat(s).Metrics[m]))
			}
			tt.row(row...)
		}
		if err := tt.flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if len(c.Differences) == 0 {
		return nil
	}
	heading(fmt.Sprintf("paired differences (tag - %s) over the tasks both scored: percentile bootstrap 95%% CI (%d resamples, seed %d), two-sided sign-flip p, Holm-corrected across all %d rows",
		c.Baseline, c.Resamples, c.Seed, len(c.Differences)))
	tt := newTextTable(w, md, "tag", "seat", "metric", "n", "diff", "95% CI", "p", "p Holm")
	for _, d := range c.Differences {
		tt.row(d.Tag, d.Seat, MetricLabel(d.Metric), strconv.Itoa(d.N), fmt.Sprintf("%+.3f", d.MeanDiff),
			fmt.Sprintf("[%+.3f, %+.3f]", d.Lo, d.Hi), PValue(d.P), PValue(d.PHolm))
	}
	return tt.flush()
}

func displayName(tag string) string {
	if tag == "" {
		return "(no tag)"
	}
	return tag
}

func writeComparisonCSV(w io.Writer, c Comparison) error {
	cw := csv.NewWriter(w)

	cw.Write([]string{"kind", "tag", "baseline", "eval_set", "seat", "metric", "n", "mean", "ci_lo", "ci_hi", "p", "p_holm", "tasks", "scored", "failed", "interrupted"})
	for _, t := range c.Tags {
		for _, s := range SeatNames {
			for _, m := range Metrics() {
				sm, ok := t.Seat(s).Metrics[m]
				if !ok {
					continue
				}
				lo, hi := "", ""
				if sm.Defined {
					lo, hi = fnum(sm.Lo), fnum(sm.Hi)
				}
				cw.Write([]string{"score", t.Tag, "", t.EvalSet, s, m, strconv.Itoa(sm.N), fnum(sm.Mean), lo, hi, "", "",
					strconv.Itoa(t.Tasks), strconv.Itoa(t.Scored), strconv.Itoa(t.Failed), strconv.Itoa(t.Interrupted)})
			}
		}
	}
	for _, d := range c.Differences {
		cw.Write([]string{"difference", d.Tag, d.Baseline, c.EvalSet, d.Seat, d.Metric, strconv.Itoa(d.N), fnum(d.MeanDiff), fnum(d.Lo), fnum(d.Hi), fnum(d.P), fnum(d.PHolm), "", "", "", ""})
	}
	cw.Flush()
	return cw.Error()
}

// PaperColumns are the paper table's metrics (also-method.md 10.1), on the mean of both seats.
var PaperColumns = []string{"goal", "relationship", "knowledge", MetricOverall}

// PaperRow is one tag's row of the paper's table: All and Hard, the seats' mean (3.4).
type PaperRow struct {
	Tag   string                   `json:"tag"`
	All   map[string]stats.Summary `json:"all"`
	Hard  map[string]stats.Summary `json:"hard"`
	NAll  string                   `json:"counts_all"`
	NHard string                   `json:"counts_hard"`
}

// PaperTable pairs the All and Hard comparisons of the same tags into the paper's rows.
func PaperTable(all, hard Comparison) []PaperRow {
	var rows []PaperRow
	for i, t := range all.Tags {
		row := PaperRow{Tag: t.Tag, All: map[string]stats.Summary{}, Hard: map[string]stats.Summary{}, NAll: t.Counts()}
		h := hard.Tags[i]
		row.NHard = h.Counts()
		for _, m := range PaperColumns {
			row.All[m] = t.Seat("avg").Metrics[m]
			row.Hard[m] = h.Seat("avg").Metrics[m]
		}
		rows = append(rows, row)
	}
	return rows
}

// WritePaperTable prints the paper's layout: per tag Goal, Rel, Know, Overall on All then Hard,
// as mean ± 95% CI half width (table, md), or separate fields (csv, json).
func WritePaperTable(w io.Writer, rows []PaperRow, format string) error {
	head := []string{"tag"}
	for _, set := range []string{"All", "Hard"} {
		for _, m := range []string{"Goal", "Rel", "Know", "Overall"} {
			head = append(head, set+" "+m)
		}
	}
	switch format {
	case "json":
		return writeJSON(w, rows)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"tag", "eval_set", "metric", "n", "mean", "ci_lo", "ci_hi"})
		for _, r := range rows {
			for _, set := range []struct {
				name string
				m    map[string]stats.Summary
			}{{"all", r.All}, {"hard", r.Hard}} {
				for _, m := range PaperColumns {
					s := set.m[m]
					cw.Write([]string{r.Tag, set.name, m, strconv.Itoa(s.N), fnum(s.Mean), fnum(s.Lo), fnum(s.Hi)})
				}
			}
		}
		cw.Flush()
		return cw.Error()
	case "table", "md":
		md := format == "md"
		if !md {
			fmt.Fprintln(w, "the paper's table (also-method.md 10.1): mean of both seats per episode, ± 95% CI half width; raw Sotopia scales")
		}
		tt := newTextTable(w, md, head...)
		for _, r := range rows {
			row := []string{displayName(r.Tag)}
			for _, m := range []map[string]stats.Summary{r.All, r.Hard} {
				for _, k := range PaperColumns {
					row = append(row, pm(m[k]))
				}
			}
			tt.row(row...)
		}
		if err := tt.flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, r := range rows {
			fmt.Fprintf(w, "%s: all %s; hard %s\n", displayName(r.Tag), r.NAll, r.NHard)
		}
		return nil
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(CompareFormats, ", "))
}

func pm(s stats.Summary) string {
	if s.N == 0 {
		return "-"
	}
	if !s.Defined {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f ±%.3f", s.Mean, s.HalfWidth())
}
