package session

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

// A live run against a flaky server - 10% 429 (Retry-After: 0), 5% 500, 5% malformed JSON, 1%
// hangs cut by a short per-attempt timeout - completes all 14 tasks. Each recorded episode is
// either scored by the judge or failed with its reason; no turn carries a reward the judge did
// not give (a turn whose judge failed says why and has none), and retries are counted.
func TestLiveRunSurvivesFaults(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12, Seed: 11, Faults: llmtest.Faults{
		RateLimit: 0.10, RetryAfter: "0", ServerError: 0.05, Malformed: 0.05, Hang: 0.01,
	}})
	cfg := liveRun(t, rig, func(c *config.Run) {
		// Two attempts per call: enough calls exhaust them that judge errors and failed episodes
		// (retried up to twice) show up in most runs, next to the ones the retries rescue.
		c.LLMAttempts, c.LLMTimeout, c.MaxRetries = 2, config.Duration(700e6), 2
	})
	out, err := Execute(context.Background(), cfg, liveOptions(nil, nil))
	var incomplete *IncompleteError
	if err != nil && !errors.As(err, &incomplete) { // tasks that failed all their attempts are expected here
		t.Fatal(err)
	}
	s := out.Summary
	if s.Episodes != 14 || s.Done+s.Failed != 14 || s.Usage.Retries == 0 {
		t.Fatalf("summary: %+v", s)
	}
	byStatus := rig.srv.CountByStatus()
	if byStatus[429] == 0 || byStatus[500] == 0 {
		t.Fatalf("no faults injected? %v", byStatus)
	}
	eps := readEpisodes(t, out.Dir)
	if len(eps) != s.Attempts {
		t.Fatalf("%d episodes recorded, %d attempts", len(eps), s.Attempts)
	}
	var judgeErrors, failed int
	for _, ep := range eps {
		switch ep.Status {
		case sotopia.StatusFailed:
			failed++
			if ep.Error == "" {
				t.Fatalf("episode %s failed without a reason", ep.PK)
			}
			for seat, r := range ep.Rewards {
				if r.Valid {
					t.Fatalf("failed episode %s has a final reward for seat %d", ep.PK, seat)
				}
			}
		case sotopia.StatusDone:
			final := judgeFromToken("terminal", tokenOf(ep.Turns[len(ep.Turns)-1].Action))
			for seat, r := range ep.Rewards {
				if !r.Valid || r.Scores != final[seat] {
					t.Fatalf("episode %s seat %d: final reward %+v, the judge said %v", ep.PK, seat, r, final[seat])
				}
			}
		default:
			t.Fatalf("episode %s: status %q", ep.PK, ep.Status)
		}
		judgeErrors += checkTurnRewards(t, ep)
	}
	t.Logf("%d attempts for 14 tasks: %d done, %d failed tasks, %d failed attempts, %d turns without a verdict, %d retries; server statuses %v",
		s.Attempts, s.Done, s.Failed, failed, judgeErrors, s.Usage.Retries, byStatus)
}

// checkTurnRewards: every turn but the last has, for each optimised seat, the scripted judge's
// reward or a judge error (and then no reward at all); the last turn goes to the terminal judge,
// or, in a failed episode, may be where it stopped. It returns the number of judge errors.
func checkTurnRewards(t *testing.T, ep *sotopia.EpisodeLog) int {
	t.Helper()
	errs := 0
	for i, rec := range ep.Turns {
		last := i == len(ep.Turns)-1
		want := judgeFromToken("judge", tokenOf(rec.Action))
		if rec.JudgeError != "" {
			errs++
			if !strings.Contains(rec.JudgeError, "judge") {
				t.Fatalf("episode %s turn %d: judge error %q does not say what failed", ep.PK, rec.Turn, rec.JudgeError)
			}
		}
		for seat, st := range rec.Seats {
			switch {
			case rec.JudgeError != "" && (st.Reward != nil || st.Scores != nil):
				t.Fatalf("episode %s turn %d seat %d: a reward next to a judge error", ep.PK, rec.Turn, seat)
			case st.Reward != nil && (st.Scores == nil || *st.Scores != want[seat] || !closeTo(*st.Reward, normalisedReward(want[seat]))):
				t.Fatalf("episode %s turn %d seat %d: reward %v is not the judge's %v", ep.PK, rec.Turn, seat, *st.Reward, want[seat])
			case st.Reward == nil && st.Optimised && rec.JudgeError == "" && !last:
				t.Fatalf("episode %s turn %d seat %d: neither a reward nor a judge error", ep.PK, rec.Turn, seat)
			case last && ep.Status == sotopia.StatusDone && (st.Reward != nil || rec.JudgeError != ""):
				t.Fatalf("episode %s: its last turn went to the per-turn judge", ep.PK)
			}
		}
	}
	return errs
}
