// Package page writes `also report`: one self-contained HTML file (inline CSS and SVG, no
// external requests) with each tag's configuration, the comparison tables, the figures and an
// episode browser showing every transcript turn by turn with the arms, their probabilities and
// the rewards.
package page

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"

	"github.com/also-project/also/report"
	"github.com/also-project/also/report/plots"
	"github.com/also-project/also/report/stats"
	"github.com/also-project/also/sotopia"
)

// TagInfo is one tag's configuration as the store binds it.
type TagInfo struct {
	Name string
	// Cell is the experiment cell the tag belongs to ("bandit_type=exp3 ..."), if any.
	Cell string
	// Bound is false when the store records no configuration for the tag.
	Bound       bool
	Fingerprint string
	Created     string
	// Diffs are the settings that differ from `also run`'s defaults ("key: default -> value").
	Diffs []string
	// Config is the whole bound configuration (JSON, no secrets).
	Config json.RawMessage
	// Pool is the tag's strategy pool (arm index -> strategy), for the arms' text.
	Pool     []sotopia.Strategy
	Episodes []*sotopia.EpisodeLog
}

// Doc is everything the report shows.
type Doc struct {
	Title     string
	Generated string
	Source    string // which store was read
	Tags      []TagInfo
	All       report.Comparison
	Hard      report.Comparison
	Figures   []plots.Figure
}

// Write renders doc as HTML.
func Write(w io.Writer, doc Doc) error {
	v, err := build(doc)
	if err != nil {
		return err
	}
	return tmpl.Execute(w, v)
}

type view struct {
	Doc
	Metrics    []string
	PaperRows  []report.PaperRow
	FigureSVGs []figureView
	Browsers   []tagEpisodes
	Resamples  int
	DiffRows   []diffRow
}

// diffRow (rows in the order of Compare: tag, then metric) is one tag and metric of the paired differences, with a cell per seat (nil: none).
type diffRow struct {
	Tag, Metric string
	// Span is the number of rows of this tag on its first row (the tag cell spans them), else 0.
	Span  int
	Seats []*report.Difference
}

type figureView struct {
	Name, Caption string
	SVG           template.HTML
}

type tagEpisodes struct {
	Tag      string
	Episodes []episodeView
}

type episodeView struct {
	ID, Title, Status, Error, Scores string
	Open                             bool
	// FromMessages: no turn records (imported episodes), the transcript is the message log.
	FromMessages bool
	Names        [sotopia.Seats]string
	Turns        []turnView
}

type turnView struct {
	Turn    int
	Speaker string
	Kind    string
	Text    string
	Note    string
	Seats   []seatView
}

type seatView struct {
	Name, ArmID, ArmText, Prob, Reward, Regret string
	Optimised                                  bool
}

var svgHeader = regexp.MustCompile(`(?s)^.*?(<svg\b)`)

func build(doc Doc) (view, error) {
	v := view{Doc: doc, Metrics: doc.All.PresentMetrics(), Resamples: stats.Resamples}
	if len(doc.Hard.Tags) == len(doc.All.Tags) {
		v.PaperRows = report.PaperTable(doc.All, doc.Hard)
	}
	rowOf := map[[2]string]int{}
	for i := range doc.All.Differences {
		d := &doc.All.Differences[i]
		k := [2]string{d.Tag, d.Metric}
		r, ok := rowOf[k]
		if !ok {
			r = len(v.DiffRows)
			rowOf[k] = r
			v.DiffRows = append(v.DiffRows, diffRow{Tag: d.Tag, Metric: d.Metric, Seats: make([]*report.Difference, len(report.SeatNames))})
		}
		for si, name := range report.SeatNames {
			if name == d.Seat {
				v.DiffRows[r].Seats[si] = d
			}
		}
	}
	for i := range v.DiffRows {
		if i == 0 || v.DiffRows[i-1].Tag != v.DiffRows[i].Tag {
			j := i
			for j < len(v.DiffRows) && v.DiffRows[j].Tag == v.DiffRows[i].Tag {
				j++
			}
			v.DiffRows[i].Span = j - i
		}
	}
	for _, f := range doc.Figures {
		b, err := f.SVG()
		if err != nil {
			return view{}, err
		}
		// Inline: drop the XML prolog, let the browser fall back to a sans font, scale to width.
		s := svgHeader.ReplaceAllString(string(b), "$1")
		s = strings.ReplaceAll(s, "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
		s = strings.Replace(s, "<svg ", `<svg role="img" aria-label="`+template.HTMLEscapeString(f.Caption)+`" `, 1)
		v.FigureSVGs = append(v.FigureSVGs, figureView{Name: f.Name, Caption: f.Caption, SVG: template.HTML(s)})
	}
	for ti, t := range doc.Tags {
		te := tagEpisodes{Tag: t.Name}
		for i, ep := range report.LastAttempts(t.Episodes) {
			ev := episode(ep, t.Pool)
			ev.ID = fmt.Sprintf("ep-%d-%d", ti, i)
			ev.Open = ti == 0 && i == 0
			te.Episodes = append(te.Episodes, ev)
		}
		v.Browsers = append(v.Browsers, te)
	}
	return v, nil
}

func episode(ep *sotopia.EpisodeLog, pool []sotopia.Strategy) episodeView {
	e := episodeView{Status: ep.Status, Error: ep.Error}
	for s := range sotopia.Seats {
		e.Names[s] = fmt.Sprintf("p%d", s+1)
	}
	// The first message list opens with the environment's context for each seat, addressed by name.
	if len(ep.Messages) > 0 {
		for s, m := range ep.Messages[0] {
			if s < sotopia.Seats && m.Sender == "Environment" && m.Receiver != "" {
				e.Names[s] = m.Receiver
			}
		}
	}
	e.Title = fmt.Sprintf("%s · %s vs %s", orDash(ep.Codename), e.Names[0], e.Names[1])
	if report.Scored(ep) {
		e.Scores = fmt.Sprintf("Overall %s %.2f, %s %.2f; goal %.0f / %.0f", e.Names[0], ep.Rewards[0].Scores.Overall(), e.Names[1], ep.Rewards[1].Scores.Overall(),
			ep.Rewards[0].Scores[sotopia.Goal], ep.Rewards[1].Scores[sotopia.Goal])
	}
	if len(ep.Turns) == 0 {
		e.FromMessages = true
		for i, turn := range ep.Messages {
			for _, m := range turn {
				if m.Sender == "Environment" {
					continue
				}
				e.Turns = append(e.Turns, turnView{Turn: i, Speaker: m.Sender, Text: m.Text})
			}
		}
		return e
	}
	for _, tr := range ep.Turns {
		tv := turnView{Turn: tr.Turn, Kind: string(tr.Action.ActionType), Text: tr.Action.Argument, Note: tr.ActionNote}
		if tr.Seat >= 0 && tr.Seat < sotopia.Seats {
			tv.Speaker = e.Names[tr.Seat]
		}
		if tr.JudgeError != "" {
			tv.Note = strings.TrimSpace(tv.Note + " judge: " + tr.JudgeError)
		}
		for s, st := range tr.Seats {
			sv := seatView{Name: fmt.Sprintf("p%d", s+1), ArmID: st.ArmID, Prob: fmt.Sprintf("%.3f", st.ArmProb), Optimised: st.Optimised, Reward: "-"}
			if s < sotopia.Seats {
				sv.Name = e.Names[s]
			}
			switch {
			case st.ArmText != "":
				sv.ArmText = st.ArmText
			case st.Arm >= 0 && st.Arm < len(pool):
				sv.ArmText = pool[st.Arm].Description
				if sv.ArmText == "" {
					sv.ArmText = "(no strategy: the seat's background alone)"
				}
			}
			if st.Reward != nil {
				sv.Reward = fmt.Sprintf("%.3f", *st.Reward)
			}
			if st.Regret != nil {
				sv.Regret = fmt.Sprintf("%.3f", *st.Regret)
			}
			tv.Seats = append(tv.Seats, sv)
		}
		e.Turns = append(e.Turns, tv)
	}
	return e
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func prettyJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ci":     report.CI,
	"pvalue": report.PValue,
	"label":  report.MetricLabel,
	"seats":  func() []string { return report.SeatNames },
	"seat":   func(t report.TagResult, s string) report.SeatResult { return t.Seat(s) },
	"metric": func(s report.SeatResult, m string) stats.Summary { return s.Metrics[m] },
	"json":   prettyJSON,
	"diff":   func(x float64) string { return fmt.Sprintf("%+.3f", x) },
	"pm": func(s stats.Summary) string {
		if s.N == 0 {
			return "-"
		}
		if !s.Defined {
			return fmt.Sprintf("%.3f", s.Mean)
		}
		return fmt.Sprintf("%.3f ±%.3f", s.Mean, s.HalfWidth())
	},
	"cols": func() []string { return report.PaperColumns },
	// breakable lets long derived tags wrap after their underscores instead of mid-word.
	"breakable": func(s string) template.HTML {
		return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(s), "_", "_<wbr>"))
	},
	"get": func(m map[string]stats.Summary, k string) stats.Summary { return m[k] },
}).Parse(pageTemplate))
