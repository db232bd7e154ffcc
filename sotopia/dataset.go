package sotopia

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/sotopia/*.jsonl data/sotopia/*.json data/sotopia/env_ids.txt
var sotopiaFS embed.FS

// Dataset is the Sotopia benchmark: 90 scenarios, 40 characters, 450 tasks and the hard list.
type Dataset struct {
	Agents        map[string]*AgentProfile
	Envs          map[string]*EnvironmentProfile
	Relationships []*RelationshipProfile
	// Tasks in file order; TasksByEnv keeps each env's tasks in file order too.
	Tasks      []Task
	TasksByEnv map[string][]Task
	// HardEnvIDs are the 14 Sotopia-hard scenarios in env_ids.txt order; AllEnvIDs the 90, sorted.
	HardEnvIDs []string
	AllEnvIDs  []string
}

// Subset names accepted by Dataset.Subset.
var SubsetNames = []string{"all", "hard", "hard_small", "non_hard"}

var (
	embeddedOnce sync.Once
	embedded     *Dataset
	embeddedErr  error
)

// Embedded returns the dataset shipped in the binary (parsed once, shared read-only).
func Embedded() (*Dataset, error) {
	embeddedOnce.Do(func() { embedded, embeddedErr = loadEmbedded() })
	return embedded, embeddedErr
}

// MustEmbedded is Embedded for tests and tools where the embedded data cannot be broken.
func MustEmbedded() *Dataset {
	d, err := Embedded()
	if err != nil {
		panic(err)
	}
	return d
}

type agentRow struct {
	AgentProfile
	AgentID string `json:"agent_id"`
}

type envRow struct {
	EnvID                string          `json:"env_id"`
	Codename             string          `json:"codename"`
	Source               string          `json:"source"`
	Scenario             string          `json:"scenario"`
	AgentGoals           []string        `json:"agent_goals"`
	Relationship         json.RawMessage `json:"relationship"`
	AgeConstraint        string          `json:"age_constraint"`
	OccupationConstraint string          `json:"occupation_constraint"`
	AgentConstraint      json.RawMessage `json:"agent_constraint"`
}

type comboRow struct {
	ComboID  string   `json:"combo_id"`
	EnvID    string   `json:"env_id"`
	AgentIDs []string `json:"agent_ids"`
}

type relRow struct {
	RelationshipID  string          `json:"relationship_id"`
	Agent1ID        string          `json:"agent1_id"`
	Agent2ID        string          `json:"agent2_id"`
	Relationship    json.RawMessage `json:"relationship"`
	BackgroundStory *string         `json:"background_story"`
}

func loadEmbedded() (*Dataset, error) {
	d := &Dataset{Agents: map[string]*AgentProfile{}, Envs: map[string]*EnvironmentProfile{}, TasksByEnv: map[string][]Task{}}
	if err := eachJSONL("data/sotopia/agent_profiles.jsonl", func(r agentRow) error {
		a := r.AgentProfile
		a.PK = r.AgentID
		for i := range a.MoralValues {
			a.MoralValues[i] = strings.TrimSpace(a.MoralValues[i])
		}
		for i := range a.SchwartzPersonalValues {
			a.SchwartzPersonalValues[i] = strings.TrimSpace(a.SchwartzPersonalValues[i])
		}
		d.Agents[a.PK] = &a
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachJSONL("data/sotopia/environment_profiles.jsonl", func(r envRow) error {
		rel, err := parseRelationship(r.Relationship)
		if err != nil {
			return fmt.Errorf("env %s: %w", r.EnvID, err)
		}
		e := &EnvironmentProfile{PK: r.EnvID, Codename: r.Codename, Source: r.Source,
			Scenario: unescapeQuotes(r.Scenario), Relationship: rel,
			AgeConstraint: nullable(r.AgeConstraint), OccupationConstraint: nullable(r.OccupationConstraint)}
		for _, g := range r.AgentGoals {
			e.AgentGoals = append(e.AgentGoals, unescapeQuotes(strings.TrimSpace(g)))
		}
		d.Envs[e.PK] = e
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachJSONL("data/sotopia/env_agent_combo_storages.jsonl", func(r comboRow) error {
		t := Task{PK: r.ComboID, EnvID: r.EnvID, AgentIDs: r.AgentIDs}
		d.Tasks = append(d.Tasks, t)
		d.TasksByEnv[t.EnvID] = append(d.TasksByEnv[t.EnvID], t)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachJSONL("data/sotopia/relationship_profiles.jsonl", func(r relRow) error {
		rel, err := parseRelationship(r.Relationship)
		if err != nil {
			return fmt.Errorf("relationship %s: %w", r.RelationshipID, err)
		}
		d.Relationships = append(d.Relationships, &RelationshipProfile{PK: r.RelationshipID, Agent1ID: r.Agent1ID,
			Agent2ID: r.Agent2ID, Relationship: rel, BackgroundStory: r.BackgroundStory})
		return nil
	}); err != nil {
		return nil, err
	}
	ids, err := sotopiaFS.ReadFile("data/sotopia/env_ids.txt")
	if err != nil {
		return nil, err
	}
	d.HardEnvIDs, d.AllEnvIDs, err = parseEnvIDs(string(ids))
	if err != nil {
		return nil, err
	}
	sort.Strings(d.AllEnvIDs)
	return d, d.check()
}

// check verifies the invariants the rest of the code relies on, so a broken data file fails loudly.
func (d *Dataset) check() error {
	if len(d.Envs) != 90 || len(d.Agents) != 40 || len(d.Tasks) != 450 || len(d.HardEnvIDs) != 14 {
		return fmt.Errorf("dataset: %d envs, %d agents, %d tasks, %d hard envs; want 90, 40, 450, 14",
			len(d.Envs), len(d.Agents), len(d.Tasks), len(d.HardEnvIDs))
	}
	for _, t := range d.Tasks {
		if _, ok := d.Envs[t.EnvID]; !ok {
			return fmt.Errorf("dataset: task %s names unknown env %s", t.PK, t.EnvID)
		}
		if len(t.AgentIDs) != Seats {
			return fmt.Errorf("dataset: task %s has %d agents", t.PK, len(t.AgentIDs))
		}
		for _, a := range t.AgentIDs {
			if _, ok := d.Agents[a]; !ok {
				return fmt.Errorf("dataset: task %s names unknown agent %s", t.PK, a)
			}
		}
	}
	for _, id := range d.HardEnvIDs {
		if len(d.TasksByEnv[id]) != 5 {
			return fmt.Errorf("dataset: hard env %s has %d tasks", id, len(d.TasksByEnv[id]))
		}
	}
	return nil
}

// Subset returns the tasks of a named subset, ordered by env id then task order in the file:
// all (450), hard (70), hard_small (14: per hard env, the task with the smallest pk), non_hard (380).
func (d *Dataset) Subset(name string) ([]Task, error) {
	hard := map[string]bool{}
	for _, id := range d.HardEnvIDs {
		hard[id] = true
	}
	var out []Task
	switch name {
	case "all", "hard", "non_hard":
		for _, env := range d.AllEnvIDs {
			if (name == "hard" && !hard[env]) || (name == "non_hard" && hard[env]) {
				continue
			}
			out = append(out, d.TasksByEnv[env]...)
		}
	case "hard_small":
		for _, env := range d.AllEnvIDs {
			if !hard[env] {
				continue
			}
			ts := d.TasksByEnv[env]
			best := ts[0]
			for _, t := range ts[1:] {
				if t.PK < best.PK {
					best = t
				}
			}
			out = append(out, best)
		}
	default:
		return nil, fmt.Errorf("unknown subset %q (want one of %s)", name, strings.Join(SubsetNames, ", "))
	}
	return out, nil
}

// Task finds a task by its pk.
func (d *Dataset) Task(pk string) (Task, bool) {
	for _, t := range d.Tasks {
		if t.PK == pk {
			return t, true
		}
	}
	return Task{}, false
}

// IsHard reports whether an env is in Sotopia-hard.
func (d *Dataset) IsHard(envID string) bool {
	for _, id := range d.HardEnvIDs {
		if id == envID {
			return true
		}
	}
	return false
}

// Resolve looks up the scenario and both seats' profiles of a task.
func (d *Dataset) Resolve(t Task) (*EnvironmentProfile, [Seats]*AgentProfile, error) {
	var agents [Seats]*AgentProfile
	env, ok := d.Envs[t.EnvID]
	if !ok {
		return nil, agents, fmt.Errorf("task %s: unknown environment %q", t.PK, t.EnvID)
	}
	if len(t.AgentIDs) != Seats {
		return nil, agents, fmt.Errorf("task %s: %d agents, want %d", t.PK, len(t.AgentIDs), Seats)
	}
	for i, id := range t.AgentIDs {
		if agents[i], ok = d.Agents[id]; !ok {
			return nil, agents, fmt.Errorf("task %s: unknown agent %q", t.PK, id)
		}
	}
	if agents[0].Name() == agents[1].Name() {
		return nil, agents, fmt.Errorf("task %s: both seats are named %q", t.PK, agents[0].Name())
	}
	return env, agents, nil
}

func eachJSONL[T any](path string, f func(T) error) error {
	b, err := sotopiaFS.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if err := f(v); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	return sc.Err()
}

func parseRelationship(raw json.RawMessage) (RelationshipType, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > int(FamilyMember) {
		return 0, fmt.Errorf("bad relationship %s", raw)
	}
	return RelationshipType(n), nil
}

func nullable(s string) *string {
	if s == "" || s == "nan" || s == "none" {
		return nil
	}
	return &s
}

// unescapeQuotes undoes the literal \' sequences of the craigslist scenarios (sotopia.md 1.9).
func unescapeQuotes(s string) string { return strings.ReplaceAll(s, `\'`, `'`) }

func parseEnvIDs(s string) (hard, all []string, err error) {
	var cur *[]string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "SOTOPIA-HARD"):
			cur = &hard
		case strings.HasPrefix(line, "SOTOPIA-ALL"):
			cur = &all
		case line != "" && cur != nil:
			for _, f := range strings.Split(line, ",") {
				if f = strings.Trim(strings.TrimSpace(f), `"`); f != "" {
					*cur = append(*cur, f)
				}
			}
		}
	}
	if len(hard) == 0 || len(all) == 0 {
		return nil, nil, fmt.Errorf("env_ids.txt: missing SOTOPIA-HARD or SOTOPIA-ALL section")
	}
	return hard, all, nil
}
