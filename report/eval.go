package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/also-project/also/sotopia"
)

// EvalEpisode is one episode's final Sotopia-Eval scores per seat.
type EvalEpisode struct {
	PK          string      `json:"pk"`
	Environment string      `json:"environment"`
	TaskID      string      `json:"task_id,omitempty"`
	Codename    string      `json:"codename,omitempty"`
	Status      string      `json:"status"`
	Error       string      `json:"error,omitempty"`
	Seats       []EvalScore `json:"seats"`
}

// EvalScore is one seat's overall and seven dimensions (raw Sotopia scales).
type EvalScore struct {
	Overall    float64            `json:"overall"`
	Dimensions map[string]float64 `json:"dimensions"`
}

// Stat is a mean with its standard error (population std / sqrt(n), as Sotopia's tooling reports).
type Stat struct {
	Mean float64 `json:"mean"`
	SE   float64 `json:"se"`
}

// EvalSeat aggregates one seat (or the average of both seats, per episode).
type EvalSeat struct {
	N          int             `json:"n"`
	Overall    Stat            `json:"overall"`
	Dimensions map[string]Stat `json:"dimensions"`
}

// Eval is `also eval`: per episode and aggregate scores of a tag.
type Eval struct {
	Tag      string        `json:"tag"`
	EvalSet  string        `json:"eval_set"`
	Episodes []EvalEpisode `json:"episodes"`
	Scored   int           `json:"scored"`
	Failed   int           `json:"failed"`
	// Interrupted counts episodes cut by SIGINT/SIGTERM (not scored, not failures).
	Interrupted int        `json:"interrupted"`
	Seats       []EvalSeat `json:"seats"`
	Average     EvalSeat   `json:"average"`
}

// Evaluate aggregates the final scores of episodes. Unscored (failed) episodes are listed but not
// averaged; hard restricts to Sotopia-hard environments when a dataset is given.
func Evaluate(tag, evalSet string, eps []*sotopia.EpisodeLog, ds *sotopia.Dataset) (Eval, error) {
	if evalSet != "all" && evalSet != "hard" {
		return Eval{}, fmt.Errorf("eval set %q: must be all or hard", evalSet)
	}
	ev := Eval{Tag: tag, EvalSet: evalSet, Episodes: []EvalEpisode{}}
	var per [sotopia.Seats + 1][]sotopia.Scores // seat 0, seat 1, average
	for _, ep := range eps {
		if evalSet == "hard" && ds != nil && !ds.IsHard(ep.Environment) {
			continue
		}
		e := EvalEpisode{PK: ep.PK, Environment: ep.Environment, TaskID: ep.TaskID, Codename: ep.Codename, Status: ep.Status, Error: ep.Error}
		valid := ep.Status != sotopia.StatusFailed && ep.Status != sotopia.StatusInterrupted && len(ep.Rewards) == sotopia.Seats
		for _, r := range ep.Rewards {
			valid = valid && r.Valid
		}
		if valid {
			var avg sotopia.Scores
			for seat, r := range ep.Rewards {
				e.Seats = append(e.Seats, EvalScore{Overall: r.Scores.Overall(), Dimensions: dimMap(r.Scores)})
				per[seat] = append(per[seat], r.Scores)
				for d := range avg {
					avg[d] += r.Scores[d] / sotopia.Seats
				}
			}
			per[sotopia.Seats] = append(per[sotopia.Seats], avg)
			ev.Scored++
		} else if ep.Status == sotopia.StatusInterrupted {
			ev.Interrupted++
		} else {
			ev.Failed++
		}
		ev.Episodes = append(ev.Episodes, e)
	}
	for seat := range sotopia.Seats {
		ev.Seats = append(ev.Seats, aggregate(per[seat]))
	}
	ev.Average = aggregate(per[sotopia.Seats])
	return ev, nil
}

func dimMap(s sotopia.Scores) map[string]float64 {
	m := map[string]float64{}
	for i, d := range sotopia.Dimensions {
		m[d.Key] = s[i]
	}
	return m
}

func aggregate(list []sotopia.Scores) EvalSeat {
	out := EvalSeat{N: len(list), Dimensions: map[string]Stat{}}
	if len(list) == 0 {
		return out
	}
	col := func(f func(sotopia.Scores) float64) Stat {
		var sum, sq float64
		for _, s := range list {
			v := f(s)
			sum += v
			sq += v * v
		}
		n := float64(len(list))
		mean := sum / n
		return Stat{Mean: mean, SE: math.Sqrt(math.Max(0, sq/n-mean*mean)) / math.Sqrt(n)}
	}
	for i, d := range sotopia.Dimensions {
		out.Dimensions[d.Key] = col(func(s sotopia.Scores) float64 { return s[i] })
	}
	out.Overall = col(sotopia.Scores.Overall)
	return out
}

// WriteEvalTable prints the aggregate of an evaluation.
func WriteEvalTable(w io.Writer, ev Eval) error {
	fmt.Fprintf(w, "tag %s (%s): %d scored, %d unscored", ev.Tag, ev.EvalSet, ev.Scored, ev.Failed)
	if ev.Interrupted > 0 {
		fmt.Fprintf(w, ", %d interrupted (--resume reruns them)", ev.Interrupted)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"seat", "n"}
	for _, d := range sotopia.Dimensions {
		head = append(head, d.Abbrev)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "overall", "± SE"), "\t")+"\t")
	rows := append([]EvalSeat{}, ev.Seats...)
	for i, s := range append(rows, ev.Average) {
		name := fmt.Sprintf("p%d", i+1)
		if i == len(ev.Seats) {
			name = "avg"
		}
		row := []string{name, fmt.Sprint(s.N)}
		for _, d := range sotopia.Dimensions {
			row = append(row, num(s.Dimensions[d.Key].Mean, s.N > 0))
		}
		row = append(row, num(s.Overall.Mean, s.N > 0), num(s.Overall.SE, s.N > 0))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}
