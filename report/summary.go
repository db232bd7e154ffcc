// Package report turns recorded episodes into run folders (run.json, episodes.jsonl,
// summary.json), summaries and tables.
package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/also-project/also/sotopia"
)

// SeatSummary aggregates one seat over the successful episodes of a run.
type SeatSummary struct {
	Episodes   int                `json:"episodes"`
	Dimensions map[string]float64 `json:"dimensions"`
	Overall    float64            `json:"overall"`
	// MeanTurnReward is the mean over episodes of the episode's mean per-turn reward (nil if none).
	MeanTurnReward *float64 `json:"mean_turn_reward,omitempty"`
	// MeanCumulativeRegret is the mean over episodes of the summed per-turn regret, where known.
	MeanCumulativeRegret *float64 `json:"mean_cumulative_regret,omitempty"`
}

// Summary is summary.json.
type Summary struct {
	Tag      string `json:"tag"`
	Episodes int    `json:"episodes"`
	Done     int    `json:"done"`
	Failed   int    `json:"failed"`
	// Interrupted counts tasks whose last attempt was cut by SIGINT/SIGTERM (not failures).
	Interrupted int           `json:"interrupted,omitempty"`
	Attempts    int           `json:"attempts"`
	Seats       []SeatSummary `json:"seats"`
	Usage       sotopia.Usage `json:"usage"`
	Stopped     string        `json:"stopped_early,omitempty"`
}

// Summarise aggregates episodes. Each task counts once: its last attempt decides done or failed;
// failed attempts are counted separately.
func Summarise(tag string, eps []*sotopia.EpisodeLog) Summary {
	s := Summary{Tag: tag, Attempts: len(eps), Seats: make([]SeatSummary, sotopia.Seats)}
	last := map[string]*sotopia.EpisodeLog{}
	var order []string
	for _, ep := range eps {
		key := ep.TaskID
		if key == "" {
			key = ep.PK
		}
		if _, ok := last[key]; !ok {
			order = append(order, key)
		}
		if cur, ok := last[key]; !ok || ep.Attempt >= cur.Attempt {
			last[key] = ep
		}
		if ep.Usage != nil {
			s.Usage.Add(*ep.Usage)
		}
	}
	s.Episodes = len(order)
	var dims [sotopia.Seats]sotopia.Scores
	var turnSum, regretSum [sotopia.Seats]float64
	var turnN, regretN [sotopia.Seats]int
	for _, key := range order {
		ep := last[key]
		switch ep.Status {
		case sotopia.StatusDone:
		case sotopia.StatusInterrupted:
			s.Interrupted++
			continue
		default:
			s.Failed++
			continue
		}
		s.Done++
		for seat := 0; seat < sotopia.Seats && seat < len(ep.Rewards); seat++ {
			if r := ep.Rewards[seat]; r.Valid {
				s.Seats[seat].Episodes++
				for d := range dims[seat] {
					dims[seat][d] += r.Scores[d]
				}
			}
			if m, ok := meanTurnReward(ep, seat); ok {
				turnSum[seat] += m
				turnN[seat]++
			}
			if r, ok := CumulativeRegret(ep, seat); ok {
				regretSum[seat] += r
				regretN[seat]++
			}
		}
	}
	for seat := range s.Seats {
		ss := &s.Seats[seat]
		ss.Dimensions = map[string]float64{}
		if ss.Episodes > 0 {
			var mean sotopia.Scores
			for d := range mean {
				mean[d] = dims[seat][d] / float64(ss.Episodes)
				ss.Dimensions[sotopia.Dimensions[d].Key] = mean[d]
			}
			ss.Overall = mean.Overall()
		}
		if turnN[seat] > 0 {
			v := turnSum[seat] / float64(turnN[seat])
			ss.MeanTurnReward = &v
		}
		if regretN[seat] > 0 {
			v := regretSum[seat] / float64(regretN[seat])
			ss.MeanCumulativeRegret = &v
		}
	}
	return s
}

func meanTurnReward(ep *sotopia.EpisodeLog, seat int) (float64, bool) {
	var sum float64
	var n int
	for _, t := range ep.Turns {
		if seat < len(t.Seats) && t.Seats[seat].Reward != nil {
			sum += *t.Seats[seat].Reward
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// CumulativeRegret sums a seat's per-turn regret over an episode (false when unknown).
func CumulativeRegret(ep *sotopia.EpisodeLog, seat int) (float64, bool) {
	var sum float64
	var n int
	for _, t := range ep.Turns {
		if seat < len(t.Seats) && t.Seats[seat].Regret != nil {
			sum += *t.Seats[seat].Regret
			n++
		}
	}
	return sum, n > 0
}

// WriteTable prints the summary as an aligned table.
func WriteTable(w io.Writer, s Summary) error {
	fmt.Fprintf(w, "tag %s: %d episodes, %d done, %d failed", s.Tag, s.Episodes, s.Done, s.Failed)
	if s.Interrupted > 0 {
		fmt.Fprintf(w, ", %d interrupted", s.Interrupted)
	}
	fmt.Fprintf(w, " (%d attempts)\n", s.Attempts)
	if s.Stopped != "" {
		fmt.Fprintf(w, "stopped early: %s\n", s.Stopped)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"seat", "n"}
	for _, d := range sotopia.Dimensions {
		head = append(head, d.Abbrev)
	}
	head = append(head, "overall", "turn reward", "cum. regret")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for seat, ss := range s.Seats {
		row := []string{fmt.Sprintf("p%d", seat+1), fmt.Sprint(ss.Episodes)}
		for _, d := range sotopia.Dimensions {
			row = append(row, num(ss.Dimensions[d.Key], ss.Episodes > 0))
		}
		row = append(row, num(ss.Overall, ss.Episodes > 0), optNum(ss.MeanTurnReward), optNum(ss.MeanCumulativeRegret))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Usage.Calls > 0 {
		fmt.Fprintf(w, "llm: %d calls, %d prompt + %d completion tokens (%d cached), %d retries, $%.4f\n",
			s.Usage.Calls, s.Usage.PromptTokens, s.Usage.CompletionTokens, s.Usage.CachedTokens, s.Usage.Retries, s.Usage.CostUSD)
	}
	return nil
}

func num(v float64, ok bool) string {
	if !ok || math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func optNum(v *float64) string {
	if v == nil {
		return "-"
	}
	return num(*v, true)
}
