package sotopia

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/also-project/also/internal/textdiff"
)

// Golden checks of the stored judge results of the 10 released episodes: overall = mean of the
// seven dimensions, and Sotopia's comments text rebuilt by ParseEvaluation.

// storedComments is the episode's reasoning without Sotopia's environment (terminator) line.
func storedComments(t *testing.T, e promptFixture) string {
	t.Helper()
	env, rest, ok := strings.Cut(e.Reasoning, "\n")
	if !ok || !strings.HasPrefix(env, "Environment comments: ") {
		t.Fatalf("%s: reasoning does not start with the environment comments", e.EpisodeID)
	}
	return rest
}

func storedScores(t *testing.T, e promptFixture) [Seats]Scores {
	t.Helper()
	var out [Seats]Scores
	if len(e.Rewards) != Seats {
		t.Fatalf("%s: %d rewards", e.EpisodeID, len(e.Rewards))
	}
	for seat, m := range e.Rewards {
		for d, info := range Dimensions {
			v, ok := m[info.Key]
			if !ok {
				t.Fatalf("%s seat %d: no %s", e.EpisodeID, seat, info.Key)
			}
			out[seat][d] = v
		}
	}
	return out
}

func requireSameScores(t *testing.T, id string, got [Seats]Scores, e promptFixture) {
	t.Helper()
	if want := storedScores(t, e); got != want {
		t.Errorf("%s: scores %v, stored %v", id, got, want)
	}
}

func TestGoldenStoredRewardsOverallIsMeanOfSeven(t *testing.T) {
	for _, e := range loadPromptFixtures(t) {
		stored := storedScores(t, e)
		for seat, m := range e.Rewards {
			if err := stored[seat].Validate(); err != nil {
				t.Errorf("%s seat %d: %v", e.EpisodeID, seat, err)
			}
			if got, want := m["overall_score"], stored[seat].Overall(); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s seat %d: overall_score %v, mean of 7 = %v", e.EpisodeID, seat, got, want)
			}
			raw := e.RawRewards[seat]
			if !raw.Valid || raw.Scores != stored[seat] || math.Abs(raw.Overall-stored[seat].Overall()) > 1e-12 {
				t.Errorf("%s seat %d: raw_rewards %+v disagree with rewards", e.EpisodeID, seat, raw)
			}
		}
	}
}

// TestGoldenCommentsFormat rebuilds each episode's judge output from its stored reasoning and
// rewards, in both output shapes, and checks ParseEvaluation gives back exactly Sotopia's comments
// text and scores.
func TestGoldenCommentsFormat(t *testing.T) {
	for _, e := range loadPromptFixtures(t) {
		comments := storedComments(t, e)
		reasons := splitStoredComments(t, e.EpisodeID, comments)
		scores := storedScores(t, e)
		for _, shape := range []string{"paper", "head"} {
			ev, err := ParseEvaluation(judgeOutputJSON(shape, scores, reasons))
			if err != nil {
				t.Fatalf("%s %s: %v", e.EpisodeID, shape, err)
			}
			textdiff.Require(t, e.EpisodeID+" comments", ev.Comments, comments)
			requireSameScores(t, e.EpisodeID, ev.Scores, e)
		}
	}
}

func splitStoredComments(t *testing.T, id, comments string) [Seats][NumDimensions]string {
	t.Helper()
	var out [Seats][NumDimensions]string
	lines := strings.Split(strings.TrimSuffix(comments, "\n"), "\n")
	if len(lines) != Seats*(1+int(NumDimensions)) {
		t.Fatalf("%s: %d comment lines", id, len(lines))
	}
	for seat := range Seats {
		block := lines[seat*(1+int(NumDimensions)):]
		if block[0] != fmt.Sprintf("Agent %d comments:", seat+1) {
			t.Fatalf("%s: comment header %q", id, block[0])
		}
		for d, info := range Dimensions {
			reason, ok := strings.CutPrefix(block[1+d], info.Key+": ")
			if !ok {
				t.Fatalf("%s: comment line %q is not %s", id, block[1+d], info.Key)
			}
			out[seat][d] = reason
		}
	}
	return out
}

// judgeOutputJSON writes a judge output in the paper ([reasoning, score]) or HEAD
// ({"reasoning", "score"}) shape.
func judgeOutputJSON(shape string, scores [Seats]Scores, reasons [Seats][NumDimensions]string) string {
	seats := map[string]any{}
	for seat := range Seats {
		dims := map[string]any{}
		for d, info := range Dimensions {
			if shape == "paper" {
				dims[info.Key] = []any{reasons[seat][d], int(scores[seat][d])}
			} else {
				dims[info.Key] = map[string]any{"reasoning": reasons[seat][d], "score": int(scores[seat][d])}
			}
		}
		if shape == "paper" {
			seats[fmt.Sprintf("agent_%d_evaluation", seat+1)] = dims
		} else {
			seats[fmt.Sprintf("agent_%d", seat+1)] = dims
		}
	}
	var out any = seats
	if shape != "paper" {
		out = map[string]any{"evaluations": seats}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return string(b)
}
