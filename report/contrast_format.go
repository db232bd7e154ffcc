package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/also-project/also/report/stats"
)

// contrastLayout is what the contrast tables share: JSON of the table as is, CSV of one header and
// rows, or the aligned/Markdown text; any other format is refused before anything is written.
type contrastLayout struct {
	doc     any
	csvHead []string
	csvRows func(emit func(...string))
	text    func(md bool) error
}

func (l contrastLayout) write(w io.Writer, format string) error {
	switch format {
	case "json":
		return writeJSON(w, l.doc)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(l.csvHead)
		l.csvRows(func(rec ...string) { cw.Write(rec) })
		cw.Flush()
		return cw.Error()
	case "table", "md":
		return l.text(format == "md")
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(CompareFormats, ", "))
}

// WriteTransfer writes the generalisation comparison as an aligned table, Markdown, CSV or JSON.
func WriteTransfer(w io.Writer, t TransferTable, format string) error {
	metrics := rowMetrics(t.Rows, func(r ModeRow) map[string]stats.Summary { return r.Metrics })
	return contrastLayout{
		doc:     t,
		csvHead: []string{"kind", "mode_or_label", "tag", "baseline", "metric", "n", "mean", "ci_lo", "ci_hi", "p", "p_holm"},
		csvRows: func(emit func(...string)) {
			for _, r := range t.Rows {
				for _, m := range metrics {
					s := r.Metrics[m]
					emit("mode", r.Mode, r.Tag, "", m, strconv.Itoa(s.N), fnum(s.Mean), fnum(s.Lo), fnum(s.Hi), "", "")
				}
			}
			for _, c := range t.Contrasts {
				emit("difference", c.Label, c.Tag, c.Baseline, c.Metric, strconv.Itoa(c.N), fnum(c.MeanDiff), fnum(c.Lo), fnum(c.Hi), fnum(c.P), fnum(c.PHolm))
			}
		},
		text: func(md bool) error {
			heading(w, md, fmt.Sprintf("generalisation (%s): mean of both seats per episode [95%% CI]", t.EvalSet))
			head := []string{"mode", "tag", "tasks"}
			for _, m := range metrics {
				head = append(head, MetricLabel(m))
			}
			tt := newTextTable(w, md, head...)
			for _, r := range t.Rows {
				row := []string{r.Mode, r.Tag, r.Counts}
				for _, m := range metrics {
					row = append(row, CI(r.Metrics[m]))
				}
				tt.row(row...)
			}
			if err := tt.flush(); err != nil {
				return err
			}
			fmt.Fprintln(w)
			return writeContrastsText(w, md, t.Contrasts)
		},
	}.write(w, format)
}

// WriteStrategies writes the strategy ranking as an aligned table, Markdown, CSV or JSON.
func WriteStrategies(w io.Writer, t StrategyTable, format string) error {
	metrics := rowMetrics(t.Rows, func(r StrategyRow) map[string]stats.Summary { return r.Metrics })
	return contrastLayout{
		doc:     t,
		csvHead: []string{"kind", "rank", "arm", "strategy", "tag", "metric", "n", "mean", "ci_lo", "ci_hi", "p", "p_holm"},
		csvRows: func(emit func(...string)) {
			for _, r := range t.Rows {
				for _, m := range metrics {
					s := r.Metrics[m]
					emit("arm", strconv.Itoa(r.Rank), strconv.Itoa(r.Arm), r.Strategy, r.Tag, m, strconv.Itoa(s.N), fnum(s.Mean), fnum(s.Lo), fnum(s.Hi), "", "")
				}
				for _, c := range r.VsReference {
					emit("vs_arm_0", strconv.Itoa(r.Rank), strconv.Itoa(r.Arm), r.Strategy, r.Tag, c.Metric, strconv.Itoa(c.N), fnum(c.MeanDiff), fnum(c.Lo), fnum(c.Hi), fnum(c.P), fnum(c.PHolm))
				}
			}
		},
		text: func(md bool) error { return writeStrategiesText(w, md, t, metrics) },
	}.write(w, format)
}

func writeStrategiesText(w io.Writer, md bool, t StrategyTable, metrics []string) error {
	n := 0
	for _, r := range t.Rows {
		n += len(r.VsReference)
	}
	heading(w, md, fmt.Sprintf("strategy analysis (%s): each arm held fixed, ranked by Overall (mean of both seats per episode [95%% t CI]); "+
		"vs arm 0: paired difference over the tasks both scored, percentile bootstrap 95%% CI, sign-flip p Holm-corrected across all %d differences", t.EvalSet, n))
	head := []string{"rank", "arm", "strategy", "scored/tasks"}
	for _, m := range metrics {
		head = append(head, MetricLabel(m))
	}
	for _, m := range metrics {
		head = append(head, MetricLabel(m)+" vs arm 0", "p Holm")
	}
	tt := newTextTable(w, md, head...)
	for _, r := range t.Rows {
		row := []string{strconv.Itoa(r.Rank), strconv.Itoa(r.Arm), r.Strategy, fmt.Sprintf("%d/%d", r.Scored, r.Tasks)}
		for _, m := range metrics {
			row = append(row, CI(r.Metrics[m]))
		}
		for _, m := range metrics {
			diff, p := "(reference)", ""
			if r.Arm != t.Reference {
				diff, p = "-", "-"
				for _, c := range r.VsReference {
					if c.Metric == m {
						diff, p = fmt.Sprintf("%+.3f [%+.3f, %+.3f]", c.MeanDiff, c.Lo, c.Hi), PValue(c.PHolm)
					}
				}
			}
			row = append(row, diff, p)
		}
		tt.row(row...)
	}
	return tt.flush()
}

// rowMetrics lists the contrast metrics that have a value in any row's metric map.
func rowMetrics[R any](rows []R, metricsOf func(R) map[string]stats.Summary) []string {
	have := map[string]bool{}
	for _, r := range rows {
		for k, s := range metricsOf(r) {
			if s.N > 0 {
				have[k] = true
			}
		}
	}
	var out []string
	for _, m := range contrastMetrics {
		if have[m] {
			out = append(out, m)
		}
	}
	return out
}

func writeContrastsText(w io.Writer, md bool, cs []Contrast) error {
	if len(cs) == 0 {
		return nil
	}
	heading(w, md, fmt.Sprintf("paired differences over the tasks both scored: percentile bootstrap 95%% CI (%d resamples, seed %d), two-sided sign-flip p, Holm-corrected across all %d rows",
		stats.Resamples, stats.Seed, len(cs)))
	tt := newTextTable(w, md, "comparison", "metric", "n", "diff", "95% CI", "p", "p Holm")
	for _, c := range cs {
		tt.row(c.Label, MetricLabel(c.Metric), strconv.Itoa(c.N), fmt.Sprintf("%+.3f", c.MeanDiff),
			fmt.Sprintf("[%+.3f, %+.3f]", c.Lo, c.Hi), PValue(c.P), PValue(c.PHolm))
	}
	return tt.flush()
}

func heading(w io.Writer, md bool, s string) {
	if md {
		fmt.Fprintf(w, "### %s\n\n", s)
	} else {
		fmt.Fprintln(w, s)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func fnum(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }
