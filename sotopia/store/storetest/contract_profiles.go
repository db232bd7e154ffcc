package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

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

	// Profiles are never replaced either: the same profile again is a no-op, another is refused.
	same := *agent
	if err := s.SaveAgent(ctx, &same); err != nil {
		t.Fatalf("saving the stored agent again: %v", err)
	}
	agent2 := *agent
	agent2.Age = 31
	if err := s.SaveAgent(ctx, &agent2); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("SaveAgent of another profile under a stored pk: %v, want ErrConflict", err)
	}
	list2 := *list
	list2.Name = "renamed"
	if err := s.SaveEnvironmentList(ctx, &list2); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("SaveEnvironmentList of another list under a stored pk: %v, want ErrConflict", err)
	}
	as, err := s.Agents(ctx)
	check("Agents after a refused replace", as, err, []*sotopia.AgentProfile{agent})

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
