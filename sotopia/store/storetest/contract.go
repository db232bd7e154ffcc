package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// Harness opens the store under test.
type Harness struct {
	// Open returns a new, empty store.
	Open func(t *testing.T) store.Store
	// Reopen closes s and opens the same data again (a restart).
	Reopen func(t *testing.T, s store.Store) store.Store
}

// Run runs the store contract. Every store implementation must pass it.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		f    func(*testing.T, Harness)
	}{
		{"EpisodeRoundTrip", testEpisodeRoundTrip},
		{"Validation", testValidation},
		{"Normalisation", testNormalisation},
		{"Query", testQuery},
		{"FailedAttemptsCounted", testFailedAttempts},
		{"NoOverwrite", testNoOverwrite},
		{"ConcurrentSaves", testConcurrentSaves},
		{"TagBinding", testTagBinding},
		{"TagLock", testTagLock},
		{"Profiles", testProfiles},
		{"DatasetRoundTrip", testDataset},
		{"PersistenceAcrossReopen", testReopen},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, h) })
	}
}

func open(t *testing.T, h Harness) store.Store {
	s := h.Open(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// Episode builds a complete episode: two seats, messages, one valid and one failed-judge reward,
// turn records with every optional field, and usage. Fields not set by the arguments are fixed.
func Episode(pk, tag, env, task, status string) *sotopia.EpisodeLog {
	r, e, reg := 0.625, 0.7, 0.075
	scores := sotopia.Scores{8, 2, 5, -1, 0, 1, 7}
	return &sotopia.EpisodeLog{
		PK: pk, Environment: env, Agents: []string{"A1", "A2"}, Tag: tag,
		Models: []string{"gpt-4o", "sim", "sim"},
		Messages: [][]sotopia.Message{
			{msg("Environment", "Ann Lee", "Here is the context <extra_info>x</extra_info> & more"), msg("Environment", "Bo Chen", "ctx"),
				msg("Ann Lee", "Environment", "said: \"hi \u00e9\""), msg("Bo Chen", "Environment", "did nothing")},
			{msg("Environment", "Ann Lee", "Turn #1: \n"), msg("Environment", "Bo Chen", "Turn #1: \n")},
		},
		Reasoning:     "Agent 1 comments: fine",
		Rewards:       []sotopia.SeatReward{sotopia.NewSeatReward(scores), {}},
		RewardsPrompt: "TBD",
		TaskID:        task, Codename: "code_" + env, Seed: 42, Attempt: 1, Status: status,
		Error: map[bool]string{true: "judge timeout"}[status == sotopia.StatusFailed], Termination: "stale",
		Turns: []sotopia.TurnRecord{{Turn: 1, Seat: 0, Action: sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hi"},
			ContextHash: "abc", Seats: []sotopia.SeatTurn{
				{Optimised: true, Arm: 3, ArmID: "empathy", ArmProb: 0.25, Reward: &r, Scores: &scores, Regret: &reg, Expected: &e},
				{Arm: 0, ArmID: "none", ArmProb: 1}}}},
		Usage: &sotopia.Usage{Calls: 3, PromptTokens: 100, CompletionTokens: 20, CostUSD: 0.01,
			ByRole: map[string]sotopia.Usage{"agent": {Calls: 2, PromptTokens: 80}}},
	}
}

func mustSave(t *testing.T, s store.Store, eps ...*sotopia.EpisodeLog) {
	t.Helper()
	for _, ep := range eps {
		if err := s.SaveEpisode(context.Background(), ep); err != nil {
			t.Fatalf("SaveEpisode(%s): %v", ep.PK, err)
		}
	}
}

func pks(eps []*sotopia.EpisodeLog) []string {
	out := make([]string, len(eps))
	for i, ep := range eps {
		out[i] = ep.PK
	}
	return out
}

func testEpisodeRoundTrip(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	want := Episode("01JEPISODE00000000000000001", "exp", "E1", "T1", sotopia.StatusDone)
	mustSave(t, s, want)
	got, err := s.Episode(ctx, want.PK)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the episode:\n got %+v\nwant %+v", got, want)
	}
	got.Tag = "mutated" // the store must not hand out its own state
	again, _ := s.Episode(ctx, want.PK)
	if again.Tag != "exp" {
		t.Fatalf("mutating a returned episode changed the store: tag %q", again.Tag)
	}
	if _, err := s.Episode(ctx, "01JMISSING"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing episode: err %v, want ErrNotFound", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testValidation(t *testing.T, h Harness) {
	s := open(t, h)
	bad := map[string]func(*sotopia.EpisodeLog){
		"empty pk":      func(ep *sotopia.EpisodeLog) { ep.PK = "" },
		"pk with colon": func(ep *sotopia.EpisodeLog) { ep.PK = "a:b" },
		"pk with star":  func(ep *sotopia.EpisodeLog) { ep.PK = "a*" },
		"bad status":    func(ep *sotopia.EpisodeLog) { ep.Status = "running" },
		"no env":        func(ep *sotopia.EpisodeLog) { ep.Environment = "" },
		"3 rewards":     func(ep *sotopia.EpisodeLog) { ep.Rewards = append(ep.Rewards, sotopia.SeatReward{}) },
	}
	for name, mutate := range bad {
		ep := Episode("01JVALID", "t", "E", "T", sotopia.StatusDone)
		mutate(ep)
		if err := s.SaveEpisode(context.Background(), ep); err == nil {
			t.Errorf("%s: saved, want an error", name)
		}
	}
	if err := s.SaveEpisode(context.Background(), nil); err == nil {
		t.Error("nil episode: saved, want an error")
	}
	if st, _ := s.Stats(context.Background()); st.Episodes != 0 {
		t.Errorf("rejected episodes were counted: %+v", st)
	}
}

func testNormalisation(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	ep := &sotopia.EpisodeLog{PK: "01JFAILED", Environment: "E", Agents: []string{"A1", "A2"}, Tag: "t",
		Status: sotopia.StatusFailed, Error: "agent panicked"}
	mustSave(t, s, ep)
	got, err := s.Episode(ctx, ep.PK)
	if err != nil {
		t.Fatal(err)
	}
	want := *ep
	want.Models, want.Messages = []string{}, [][]sotopia.Message{}
	want.Rewards = []sotopia.SeatReward{{}, {}} // Sotopia's failed-judge 0.0 per agent
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("got %+v\nwant %+v", got, &want)
	}
	if ep.Rewards != nil || ep.Models != nil {
		t.Fatal("SaveEpisode modified the caller's episode")
	}
}

// queryFixture: 24 episodes over 3 tags (one empty), 3 envs, 4 tasks, every 5th failed.
func queryFixture() []*sotopia.EpisodeLog {
	var eps []*sotopia.EpisodeLog
	for i := 0; i < 24; i++ {
		status := sotopia.StatusDone
		if i%5 == 0 {
			status = sotopia.StatusFailed
		}
		eps = append(eps, Episode(fmt.Sprintf("01JQ%03d", i), []string{"tagA", "tagB", ""}[i%3],
			fmt.Sprintf("E%d", i%3+i/12), fmt.Sprintf("T%d", i%4), status))
	}
	return eps
}

func testQuery(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	eps := queryFixture()
	mustSave(t, s, eps...)
	queries := []store.Query{{}, {Tag: "tagA"}, {Tag: "tagB"}, {EnvID: "E1"}, {TaskID: "T2"},
		{Status: sotopia.StatusFailed}, {Tag: "tagA", EnvID: "E1"}, {Tag: "tagB", TaskID: "T1", Status: sotopia.StatusDone},
		{Tag: "nope"}, {EnvID: "E3", Status: sotopia.StatusFailed}}
	for _, q := range queries {
		var want []string
		for _, ep := range eps {
			if (q.Tag == "" || ep.Tag == q.Tag) && (q.EnvID == "" || ep.Environment == q.EnvID) &&
				(q.TaskID == "" || ep.TaskID == q.TaskID) && (q.Status == "" || ep.Status == q.Status) {
				want = append(want, ep.PK)
			}
		}
		got, err := s.Episodes(ctx, q)
		if err != nil {
			t.Fatalf("Episodes(%+v): %v", q, err)
		}
		if g := pks(got); !reflect.DeepEqual(g, want) && !(len(g) == 0 && len(want) == 0) {
			t.Errorf("Episodes(%+v) = %v, want %v", q, g, want)
		}
	}
	tags, err := s.Tags(ctx)
	if err != nil || !reflect.DeepEqual(tags, []string{"", "tagA", "tagB"}) {
		t.Errorf("Tags = %q, %v; want [\"\" tagA tagB]", tags, err)
	}
}

func testFailedAttempts(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	// One task tried four times: two failures, one cut by a signal, then success. Plus a done
	// episode under another tag.
	mustSave(t, s,
		Episode("01JATT0", "run", "E", "T", sotopia.StatusFailed),
		Episode("01JATT1", "run", "E", "T", sotopia.StatusFailed),
		Episode("01JATT2", "run", "E", "T", sotopia.StatusInterrupted),
		Episode("01JATT3", "run", "E", "T", sotopia.StatusDone),
		Episode("01JOTHER", "other", "E", "T9", sotopia.StatusDone))
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Stats{Counts: store.Counts{Episodes: 5, Done: 2, Failed: 2, Interrupted: 1},
		ByTag: map[string]store.Counts{"run": {Episodes: 4, Done: 1, Failed: 2, Interrupted: 1}, "other": {Episodes: 1, Done: 1}}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
	failed, err := s.Episodes(ctx, store.Query{TaskID: "T", Status: sotopia.StatusFailed})
	if err != nil || !reflect.DeepEqual(pks(failed), []string{"01JATT0", "01JATT1"}) {
		t.Fatalf("failed attempts = %v, %v", pks(failed), err)
	}
	if failed[0].Error != "judge timeout" {
		t.Fatalf("failed attempt lost its error: %q", failed[0].Error)
	}
}

// testNoOverwrite: a stored episode is never replaced. The same content again is a no-op; other
// content under its pk is refused with ErrConflict and changes nothing, indexes included.
func testNoOverwrite(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	ep := Episode("01JRESAVE", "old", "E1", "T1", sotopia.StatusFailed)
	mustSave(t, s, ep, ep)
	same := Episode("01JRESAVE", "old", "E1", "T1", sotopia.StatusFailed) // equal, not the same pointer
	mustSave(t, s, same)
	if st, _ := s.Stats(ctx); st.Episodes != 1 {
		t.Fatalf("same episode saved three times counts %d", st.Episodes)
	}
	moved := Episode("01JRESAVE", "new", "E2", "T2", sotopia.StatusDone)
	retried := Episode("01JRESAVE", "old", "E1", "T1", sotopia.StatusDone) // a status change is other content too
	for _, other := range []*sotopia.EpisodeLog{moved, retried} {
		if err := s.SaveEpisode(ctx, other); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("SaveEpisode of other content under a stored pk: %v, want ErrConflict", err)
		}
	}
	got, err := s.Episode(ctx, ep.PK)
	if err != nil || !reflect.DeepEqual(got, ep) {
		t.Fatalf("stored episode changed by a refused save: %+v, %v", got, err)
	}
	for _, q := range []store.Query{{Tag: "new"}, {EnvID: "E2"}, {TaskID: "T2"}, {Status: sotopia.StatusDone}} {
		if got, _ := s.Episodes(ctx, q); len(got) != 0 {
			t.Errorf("refused save is indexed: %+v returns %v", q, pks(got))
		}
	}
	st, _ := s.Stats(ctx)
	want := store.Stats{Counts: store.Counts{Episodes: 1, Failed: 1}, ByTag: map[string]store.Counts{"old": {Episodes: 1, Failed: 1}}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
}

func testTagBinding(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	if _, err := s.TagConfig(ctx, "exp"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TagConfig of an unbound tag: %v, want ErrNotFound", err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rc := store.RunConfig{Tag: "exp", Fingerprint: "aaaa1111", Config: json.RawMessage(`{"eta":10,"bandit":"exp3"}`), Created: created}
	if err := s.BindTag(ctx, rc); err != nil {
		t.Fatal(err)
	}
	again := rc
	again.Created = created.Add(time.Hour) // a resume binds again with the same fingerprint
	if err := s.BindTag(ctx, again); err != nil {
		t.Fatalf("BindTag with the same fingerprint: %v, want nil", err)
	}
	other := rc
	other.Fingerprint, other.Config = "bbbb2222", json.RawMessage(`{"eta":20,"bandit":"exp3"}`)
	err := s.BindTag(ctx, other)
	var tb *store.TagBoundError
	if !errors.Is(err, store.ErrTagBound) || !errors.As(err, &tb) || tb.Existing.Fingerprint != rc.Fingerprint {
		t.Fatalf("BindTag with another fingerprint: %v, want a TagBoundError holding the first binding", err)
	}
	if !strings.Contains(err.Error(), "exp") {
		t.Errorf("error %q does not name the tag", err)
	}
	got, err := s.TagConfig(ctx, "exp")
	if err != nil || got.Fingerprint != rc.Fingerprint || !got.Created.Equal(created) || string(got.Config) != string(rc.Config) {
		t.Fatalf("TagConfig = %+v, %v; want the first binding unchanged", got, err)
	}
	if err := s.BindTag(ctx, store.RunConfig{Tag: "x"}); err == nil {
		t.Error("binding without a fingerprint accepted")
	}
	if err := s.BindTag(ctx, store.RunConfig{Fingerprint: "f"}); err == nil {
		t.Error("binding without a tag accepted")
	}
}

func testTagLock(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	release, err := s.LockTag(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockTag(ctx, "busy"); err == nil || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("second LockTag of a held tag: %v, want an error naming the tag", err)
	}
	other, err := s.LockTag(ctx, "free")
	if err != nil {
		t.Fatalf("LockTag of another tag while one is held: %v", err)
	}
	other()
	release()
	release() // idempotent
	again, err := s.LockTag(ctx, "busy")
	if err != nil {
		t.Fatalf("LockTag after release: %v", err)
	}
	again()
}

func testConcurrentSaves(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	const workers, each = 8, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				tag := fmt.Sprintf("w%d", w%2)
				errs <- s.SaveEpisode(ctx, Episode(fmt.Sprintf("01JC%02d%02d", w, i), tag, "E", "T", sotopia.StatusDone))
				// Everyone also saves one shared pk under their own tag: the first wins, the
				// others are refused.
				if err := s.SaveEpisode(ctx, Episode("01JSHARED", fmt.Sprintf("shared%d", w), "E", "T", sotopia.StatusDone)); !errors.Is(err, store.ErrConflict) {
					errs <- err
				}
				if _, err := s.Episodes(ctx, store.Query{Tag: tag}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Episodes != workers*each+1 || st.ByTag["w0"].Episodes != workers*each/2 {
		t.Fatalf("Stats after concurrent saves = %+v", st)
	}
	shared, _ := s.Episode(ctx, "01JSHARED")
	var holders []string
	for w := 0; w < workers; w++ {
		if got, _ := s.Episodes(ctx, store.Query{Tag: fmt.Sprintf("shared%d", w)}); len(got) > 0 {
			holders = append(holders, got[0].Tag)
		}
	}
	if len(holders) != 1 || holders[0] != shared.Tag {
		t.Fatalf("shared pk is indexed under tags %v, stored tag %q: want exactly the stored one", holders, shared.Tag)
	}
}
