package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"

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
		{"IdempotentResave", testIdempotentResave},
		{"ConcurrentSaves", testConcurrentSaves},
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
	// One task tried three times: two failures, then success. Plus a done episode under another tag.
	mustSave(t, s,
		Episode("01JATT0", "run", "E", "T", sotopia.StatusFailed),
		Episode("01JATT1", "run", "E", "T", sotopia.StatusFailed),
		Episode("01JATT2", "run", "E", "T", sotopia.StatusDone),
		Episode("01JOTHER", "other", "E", "T9", sotopia.StatusDone))
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Stats{Counts: store.Counts{Episodes: 4, Done: 2, Failed: 2},
		ByTag: map[string]store.Counts{"run": {Episodes: 3, Done: 1, Failed: 2}, "other": {Episodes: 1, Done: 1}}}
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

func testIdempotentResave(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	ep := Episode("01JRESAVE", "old", "E1", "T1", sotopia.StatusFailed)
	mustSave(t, s, ep, ep)
	if st, _ := s.Stats(ctx); st.Episodes != 1 {
		t.Fatalf("same episode saved twice counts %d", st.Episodes)
	}
	moved := Episode("01JRESAVE", "new", "E2", "T2", sotopia.StatusDone)
	mustSave(t, s, moved)
	for _, q := range []store.Query{{Tag: "old"}, {EnvID: "E1"}, {TaskID: "T1"}, {Status: sotopia.StatusFailed}} {
		if got, _ := s.Episodes(ctx, q); len(got) != 0 {
			t.Errorf("after re-save, old index %+v still returns %v", q, pks(got))
		}
	}
	got, err := s.Episodes(ctx, store.Query{Tag: "new", EnvID: "E2", TaskID: "T2", Status: sotopia.StatusDone})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], moved) {
		t.Fatalf("re-saved episode not found under its new fields: %v %v", pks(got), err)
	}
	st, _ := s.Stats(ctx)
	want := store.Stats{Counts: store.Counts{Episodes: 1, Done: 1}, ByTag: map[string]store.Counts{"new": {Episodes: 1, Done: 1}}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
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
				// Everyone also re-saves one shared pk under their own tag.
				errs <- s.SaveEpisode(ctx, Episode("01JSHARED", fmt.Sprintf("shared%d", w), "E", "T", sotopia.StatusDone))
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

func testProfiles(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	story := "met at school"
	agent := &sotopia.AgentProfile{PK: "01JAG1", FirstName: "Ann", LastName: "Lee", Age: 30, MoralValues: []string{"Care"}, MBTI: "INFJ"}
	env := &sotopia.EnvironmentProfile{PK: "01JENV1", Codename: "c", Scenario: "s", AgentGoals: []string{"g1", "g2"},
		Relationship: sotopia.Friend, AgentConstraint: [][]string{{"01JAG1"}, {}}}
	rel := &sotopia.RelationshipProfile{PK: "01JREL1", Agent1ID: "01JAG1", Agent2ID: "01JAG2", Relationship: sotopia.Acquaintance, BackgroundStory: &story}
	task := sotopia.Task{PK: "01JTASK1", EnvID: "01JENV1", AgentIDs: []string{"01JAG1", "01JAG2"}}
	list := &store.EnvironmentList{PK: "01JLIST", Name: "mine", Environments: []string{"01JENV1"}, AgentIndex: []string{"1"}}
	for _, err := range []error{s.SaveAgent(ctx, agent), s.SaveEnvironment(ctx, env), s.SaveRelationship(ctx, rel),
		s.SaveTask(ctx, task), s.SaveEnvironmentList(ctx, list)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, got any, err error, want any) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, want)
		}
	}
	a, err := s.Agent(ctx, agent.PK)
	check("Agent", a, err, agent)
	e, err := s.Environment(ctx, env.PK)
	check("Environment", e, err, env)
	r, err := s.Relationship(ctx, rel.PK)
	check("Relationship", r, err, rel)
	tk, err := s.Task(ctx, task.PK)
	check("Task", tk, err, task)
	l, err := s.EnvironmentList(ctx, list.PK)
	check("EnvironmentList", l, err, list)

	agent2 := *agent
	agent2.Age = 31
	if err := s.SaveAgent(ctx, &agent2); err != nil {
		t.Fatal(err)
	}
	as, err := s.Agents(ctx)
	check("Agents after replace", as, err, []*sotopia.AgentProfile{&agent2})

	if _, err := s.Agent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing agent: %v", err)
	}
	if _, err := s.Task(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing task: %v", err)
	}
	if err := s.SaveAgent(ctx, &sotopia.AgentProfile{}); err == nil {
		t.Error("agent without pk saved")
	}
	if err := s.SaveEnvironmentList(ctx, &store.EnvironmentList{PK: "x", Environments: []string{"a"}, AgentIndex: []string{}}); err == nil {
		t.Error("environment list with mismatched agent_index saved")
	}
}

func testDataset(t *testing.T, h Harness) {
	ctx := context.Background()
	s := open(t, h)
	ds := sotopia.MustEmbedded()
	// A profile the user already has must survive loading the dataset.
	first := sortedAgents(ds)[0]
	mine := *first
	mine.Secret = "my own edit"
	if err := s.SaveAgent(ctx, &mine); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // loading twice changes nothing
		if err := s.LoadDataset(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	agents, err := s.Agents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAgents := sortedAgents(ds)
	wantAgents[0] = &mine
	if !reflect.DeepEqual(agents, wantAgents) {
		t.Fatalf("agents after LoadDataset: %d, want %d (or contents differ)", len(agents), len(wantAgents))
	}
	envs, err := s.Environments(ctx)
	if err != nil || len(envs) != 90 {
		t.Fatalf("environments: %d, %v", len(envs), err)
	}
	for _, e := range envs {
		if !reflect.DeepEqual(e, ds.Envs[e.PK]) {
			t.Fatalf("environment %s changed in the store", e.PK)
		}
	}
	rels, err := s.Relationships(ctx)
	if err != nil || len(rels) != len(ds.Relationships) {
		t.Fatalf("relationships: %d, %v; want %d", len(rels), err, len(ds.Relationships))
	}
	wantRels := append([]*sotopia.RelationshipProfile(nil), ds.Relationships...)
	sort.Slice(wantRels, func(i, j int) bool { return wantRels[i].PK < wantRels[j].PK })
	if !reflect.DeepEqual(rels, wantRels) {
		t.Fatal("relationships differ after LoadDataset")
	}
	tasks, err := s.Tasks(ctx)
	wantTasks := append([]sotopia.Task(nil), ds.Tasks...)
	sort.Slice(wantTasks, func(i, j int) bool { return wantTasks[i].PK < wantTasks[j].PK })
	if err != nil || !reflect.DeepEqual(tasks, wantTasks) {
		t.Fatalf("tasks: %d, %v; want the dataset's %d", len(tasks), err, len(wantTasks))
	}
	hard, err := s.EnvironmentList(ctx, store.HardEnvironmentListPK)
	if err != nil || hard.Name != store.HardEnvironmentListName || !reflect.DeepEqual(hard.Environments, ds.HardEnvIDs) {
		t.Fatalf("hard list = %+v, %v", hard, err)
	}
	if err := s.LoadDataset(ctx, nil); err == nil {
		t.Fatal("LoadDataset(nil) succeeded")
	}
}

func testReopen(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	eps := queryFixture()
	mustSave(t, s, eps...)
	if err := s.LoadDataset(ctx, sotopia.MustEmbedded()); err != nil {
		t.Fatal(err)
	}
	before, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s = h.Reopen(t, s)
	t.Cleanup(func() { s.Close() })
	after, err := s.Stats(ctx)
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("stats after reopen %+v (%v), before %+v", after, err, before)
	}
	got, err := s.Episodes(ctx, store.Query{})
	if err != nil || !reflect.DeepEqual(got, eps) {
		t.Fatalf("episodes after reopen differ (%d vs %d, %v)", len(got), len(eps), err)
	}
	tasks, err := s.Tasks(ctx)
	if err != nil || len(tasks) != 450 {
		t.Fatalf("tasks after reopen: %d, %v", len(tasks), err)
	}
	mustSave(t, s, Episode("01JAFTER", "tagA", "E1", "T1", sotopia.StatusDone))
}

func testClosed(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Episode(ctx, "x"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Episode after Close: %v, want ErrClosed", err)
	}
	if err := s.SaveEpisode(ctx, Episode("01JX", "t", "E", "T", sotopia.StatusDone)); !errors.Is(err, store.ErrClosed) {
		t.Errorf("SaveEpisode after Close: %v, want ErrClosed", err)
	}
}

func sortedAgents(ds *sotopia.Dataset) []*sotopia.AgentProfile {
	var out []*sotopia.AgentProfile
	for _, a := range ds.Agents {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PK < out[j].PK })
	return out
}

func msg(sender, receiver, text string) sotopia.Message {
	return sotopia.Message{Sender: sender, Receiver: receiver, Text: text}
}
