package session

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
)

// `also run` on hard_small with both seats optimised by the ALSO bandit and every model on a
// fake server: strategies reach only their own seat, rewards are exactly the judge's, and the
// usage and cost add up from the server's replies to the episodes, the run and summary.json.
func TestLiveRunHardSmallBilateralALSO(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
	cfg := liveRun(t, rig, func(c *config.Run) { c.Bandit, c.Optimize = "also", "both" })
	var log bytes.Buffer
	out, err := Execute(context.Background(), cfg, liveOptions(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Summary; s.Episodes != 14 || s.Done != 14 || s.Stopped != "" {
		t.Fatalf("summary: %+v\nlog:\n%s", s, log.String())
	}
	eps := readEpisodes(t, out.Dir)
	checkStrategyPlacement(t, rig, eps, cfg.StrategyVersion)
	checkRewardsAreTheJudges(t, eps)
	checkUsageAddsUp(t, rig, out, eps)

	url := rig.srv.URL()
	for _, ep := range eps {
		want := []string{"custom/terminal@" + url, "custom/agent@" + url, "custom/agent@" + url}
		if strings.Join(ep.Models, " ") != strings.Join(want, " ") {
			t.Fatalf("episode %s models %v, want %v", ep.PK, ep.Models, want)
		}
		for _, tr := range ep.Turns {
			for _, st := range tr.Seats {
				if st.Regret != nil || st.Expected != nil {
					t.Fatalf("episode %s turn %d: a live run cannot know regret", ep.PK, tr.Turn)
				}
			}
		}
	}
	var table bytes.Buffer
	if err := report.WriteTable(&table, out.Summary); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "llm: ") || !strings.Contains(log.String(), "live world: p1 custom/agent@") {
		t.Fatalf("table or log lacks the live run's lines:\n%s\n%s", table.String(), log.String())
	}
}

// Only seat 1 optimised: seat 2 plays the baseline, and no strategy ever reaches its prompts.
func TestLiveRunUnilateralKeepsOpponentClean(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
	cfg := liveRun(t, rig, func(c *config.Run) { c.Bandit, c.Optimize, c.MaxEpisodes = "also", "p1", 4 })
	out, err := Execute(context.Background(), cfg, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	eps := readEpisodes(t, out.Dir)
	for _, ep := range eps {
		for _, tr := range ep.Turns {
			if tr.Seats[1].Optimised || tr.Seats[1].Arm != 0 {
				t.Fatalf("episode %s turn %d: seat 2 is not optimised but played arm %d", ep.PK, tr.Turn, tr.Seats[1].Arm)
			}
		}
	}
	checkStrategyPlacement(t, rig, eps, cfg.StrategyVersion)
	checkRewardsAreTheJudges(t, eps)
}

// checkStrategyPlacement matches every agent request to the action it produced (by the
// utterance token) and checks that its prompt carries exactly the strategy its own seat had
// active for that action, and no other; judge prompts and dialogue embeddings carry none.
func checkStrategyPlacement(t *testing.T, rig *liveRig, eps []*sotopia.EpisodeLog, version string) {
	t.Helper()
	pool, err := sotopia.Strategies(version)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sotopia.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	type turnRef struct {
		ep  *sotopia.EpisodeLog
		rec sotopia.TurnRecord
	}
	byToken := map[string]turnRef{}
	for _, ep := range eps {
		for _, rec := range ep.Turns {
			byToken[tokenOf(rec.Action)] = turnRef{ep, rec}
		}
	}
	// The prompt's formatting drops the spaces after the suffix's newline (as ALSO's does).
	suffix := strings.TrimSpace(sotopia.StrategySuffix)
	hasAnyStrategy := func(p string) bool {
		if strings.Contains(p, suffix) {
			return true
		}
		for _, s := range pool[1:] {
			if strings.Contains(p, s.Description) {
				return true
			}
		}
		return false
	}
	var withStrategy [sotopia.Seats]int
	agents, judges := 0, 0
	for _, req := range rig.srv.Requests() {
		p := req.Prompt()
		switch {
		case req.Kind == llmtest.KindEmbeddings:
			if len(req.Input) == 1 && hasAnyStrategy(p) {
				t.Fatalf("request %d: a dialogue embedding carries a strategy", req.Seq)
			}
		case strings.Contains(p, judgeMarker):
			judges++
			if hasAnyStrategy(p) {
				t.Fatalf("request %d: a judge prompt carries a strategy", req.Seq)
			}
		default:
			agents++
			ref, ok := byToken[promptToken(p)]
			if !ok {
				t.Fatalf("request %d: agent prompt whose answer is in no episode", req.Seq)
			}
			seat := ref.rec.Seat
			setup := taskSetup(t, ds, ref.ep)
			if !strings.HasPrefix(p, agentMarker+setup.Agents[seat].Name()+",") {
				t.Fatalf("request %d: answered for seat %d but addressed to someone else", req.Seq, seat)
			}
			arm := ref.rec.Seats[seat].Arm
			own := pool[arm].Description
			if own != "" {
				withStrategy[seat]++
				if strings.Count(p, own) != 1 || strings.Count(p, suffix) != 1 {
					t.Fatalf("request %d: seat %d prompt lacks its own strategy %s once", req.Seq, seat, pool[arm].ID)
				}
			} else if hasAnyStrategy(p) {
				t.Fatalf("request %d: seat %d plays the baseline but its prompt carries a strategy", req.Seq, seat)
			}
			for i, s := range pool[1:] {
				if i+1 != arm && !strings.Contains(own, s.Description) && strings.Contains(p, s.Description) {
					other := ref.rec.Seats[1-seat].Arm
					t.Fatalf("request %d: seat %d (arm %d) prompt carries strategy %s (the other seat plays %d)",
						req.Seq, seat, arm, s.ID, other)
				}
			}
		}
	}
	if agents == 0 || judges == 0 {
		t.Fatalf("saw %d agent and %d judge requests", agents, judges)
	}
	for seat := range sotopia.Seats {
		if eps[0].Turns[0].Seats[seat].Optimised && withStrategy[seat] == 0 {
			t.Fatalf("seat %d never played a strategy: the check proved nothing", seat)
		}
	}
}

// checkRewardsAreTheJudges recomputes every reward from the scripted judge: the per-turn judge
// scores a turn by the token of its newest utterance, the terminal judge the whole episode.
func checkRewardsAreTheJudges(t *testing.T, eps []*sotopia.EpisodeLog) {
	t.Helper()
	for _, ep := range eps {
		if ep.Status != sotopia.StatusDone {
			t.Fatalf("episode %s: %s %s", ep.PK, ep.Status, ep.Error)
		}
		for i, rec := range ep.Turns {
			last := i == len(ep.Turns)-1
			want := judgeFromToken("judge", tokenOf(rec.Action))
			for seat, st := range rec.Seats {
				switch {
				case last && (st.Reward != nil || rec.JudgeError != ""):
					t.Fatalf("episode %s: the last turn goes to the terminal judge, not the per-turn one", ep.PK)
				case last:
				case !st.Optimised && st.Reward == nil:
				case st.Reward == nil || st.Scores == nil:
					t.Fatalf("episode %s turn %d seat %d: no reward (judge error %q)", ep.PK, rec.Turn, seat, rec.JudgeError)
				case *st.Scores != want[seat] || !closeTo(*st.Reward, normalisedReward(want[seat])):
					t.Fatalf("episode %s turn %d seat %d: reward %v scores %v, the judge said %v (reward %v)",
						ep.PK, rec.Turn, seat, *st.Reward, *st.Scores, want[seat], normalisedReward(want[seat]))
				}
			}
		}
		final := judgeFromToken("terminal", tokenOf(ep.Turns[len(ep.Turns)-1].Action))
		for seat, r := range ep.Rewards {
			if !r.Valid || r.Scores != final[seat] {
				t.Fatalf("episode %s seat %d: final reward %+v, the terminal judge said %v", ep.PK, seat, r, final[seat])
			}
		}
	}
}

// checkUsageAddsUp: the episodes' usage sums to the run's, the run's is what the server
// reported, by role, and the cost is those tokens at the test prices.
func checkUsageAddsUp(t *testing.T, rig *liveRig, out *Outcome, eps []*sotopia.EpisodeLog) {
	t.Helper()
	var sum sotopia.Usage
	for _, ep := range eps {
		if ep.Usage == nil || ep.Usage.Calls == 0 {
			t.Fatalf("episode %s has no usage", ep.PK)
		}
		sum.Add(*ep.Usage)
	}
	run := out.Summary.Usage
	var onDisk report.Summary
	b, err := os.ReadFile(filepath.Join(out.Dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	roles := map[string][]string{llm.RoleAgent: {"agent"}, llm.RoleJudge: {"judge", "terminal"}, llm.RoleEmbedder: {"embed"}}
	var server llm.Usage
	var cost float64
	for role, models := range roles {
		var want llm.Usage
		var wantCost float64
		for _, m := range models {
			u := rig.usage(m)
			want.Add(u)
			wantCost += expectedCost(m, u)
		}
		server.Add(want)
		cost += wantCost
		for name, got := range map[string]sotopia.Usage{"run": run.ByRole[role], "episodes": sum.ByRole[role]} {
			if got.Calls != want.Calls || got.PromptTokens != want.PromptTokens || got.CompletionTokens != want.CompletionTokens ||
				got.CachedTokens != want.CachedTokens || !closeTo(got.CostUSD, wantCost) {
				t.Fatalf("%s usage of %s: %+v, the server reported %+v costing $%v", name, role, got, want, wantCost)
			}
		}
	}
	if server.Calls != int64(rig.srv.Count()) || cost <= 0 {
		t.Fatalf("ledger has %d calls, the server saw %d requests; cost %v", server.Calls, rig.srv.Count(), cost)
	}
	for name, got := range map[string]sotopia.Usage{"run": run, "episodes": sum, "summary.json": onDisk.Usage} {
		if got.Calls != server.Calls || got.PromptTokens != server.PromptTokens || got.CompletionTokens != server.CompletionTokens ||
			got.CachedTokens != server.CachedTokens || got.Retries != 0 || !closeTo(got.CostUSD, cost) {
			t.Fatalf("%s usage %+v, the server reported %+v costing $%v", name, got, server, cost)
		}
	}
}
