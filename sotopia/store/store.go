// Package store persists Sotopia objects and episodes: an embedded on-disk store (the default, no
// server) and Redis in Sotopia's key layout. One contract test suite (package storetest) runs
// against both.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/also-project/also/sotopia"
)

// ErrNotFound is returned when a key does not exist.
var ErrNotFound = errors.New("not found")

// ErrClosed is returned by every call on a store after Close.
var ErrClosed = errors.New("store is closed")

// Query selects episodes; empty fields match everything, set fields are ANDed.
type Query struct {
	Tag    string
	EnvID  string
	TaskID string
	Status string
}

func (q Query) matches(ep *sotopia.EpisodeLog) bool {
	return (q.Tag == "" || q.Tag == ep.Tag) &&
		(q.EnvID == "" || q.EnvID == ep.Environment) &&
		(q.TaskID == "" || q.TaskID == ep.TaskID) &&
		(q.Status == "" || q.Status == ep.Status)
}

// ErrConflict is returned when a record with the same id is stored with other content: stored
// records are never replaced.
var ErrConflict = errors.New("conflict")

// Counts are episode records by status. Every attempt is its own record, so Failed counts each
// failed attempt, including attempts that a later retry of the same task made good; Interrupted
// counts attempts cut short by a signal.
type Counts struct {
	Episodes    int `json:"episodes"`
	Done        int `json:"done"`
	Failed      int `json:"failed"`
	Interrupted int `json:"interrupted"`
}

func (c *Counts) add(status string, n int) {
	c.Episodes += n
	switch status {
	case sotopia.StatusDone:
		c.Done += n
	case sotopia.StatusFailed:
		c.Failed += n
	case sotopia.StatusInterrupted:
		c.Interrupted += n
	}
}

// Stats summarises the stored episodes, in total and per tag.
type Stats struct {
	Counts
	ByTag map[string]Counts `json:"by_tag"`
}

// EnvironmentList is Sotopia's persistent_profile.EnvironmentList: a named list of scenarios, with
// optionally (same length) the seat ("0"/"1") the model under test plays in each.
type EnvironmentList struct {
	PK           string   `json:"pk"`
	Name         string   `json:"name"`
	Environments []string `json:"environments"`
	AgentIndex   []string `json:"agent_index"`
}

// HardEnvironmentListPK and HardEnvironmentListName identify Sotopia's official hard list
// (sotopia.md 1.6). The public data does not carry its agent_index, so ours lists the 14 hard
// scenarios once each with agent_index null.
const (
	HardEnvironmentListPK   = "01HAK34YPB1H1RWXQDASDKHSNS"
	HardEnvironmentListName = "hard_env_set"
)

// Store is the persistence contract, implemented by *Dir (embedded), *Redis and *Mirror.
//
// SaveEpisode returns only once the episode is durable. It stores the episode in Sotopia's normal
// form so that Sotopia itself can read it: nil lists become empty lists and missing rewards are
// padded with Sotopia's failed-judge 0.0 (SeatReward.Valid false) up to one per agent.
//
// Nothing stored is ever replaced. Saving a record (episode or profile) whose pk is stored with
// the same content does nothing and returns nil; with other content it fails with ErrConflict
// and the stored record stays. LoadDataset only adds objects that are missing, so it never
// touches a Sotopia user's own profiles (or their full hard list) in a shared database.
// Listing calls return objects sorted by pk.
//
// A tag is bound to the configuration of the run that made it (BindTag, never rebound), and
// LockTag keeps a tag to one writer at a time.
type Store interface {
	SaveEpisode(ctx context.Context, ep *sotopia.EpisodeLog) error
	Episode(ctx context.Context, pk string) (*sotopia.EpisodeLog, error)
	Episodes(ctx context.Context, q Query) ([]*sotopia.EpisodeLog, error)
	// Tags lists the tags that have at least one episode, sorted.
	Tags(ctx context.Context) ([]string, error)
	Stats(ctx context.Context) (Stats, error)

	SaveAgent(ctx context.Context, a *sotopia.AgentProfile) error
	Agent(ctx context.Context, pk string) (*sotopia.AgentProfile, error)
	Agents(ctx context.Context) ([]*sotopia.AgentProfile, error)

	SaveEnvironment(ctx context.Context, e *sotopia.EnvironmentProfile) error
	Environment(ctx context.Context, pk string) (*sotopia.EnvironmentProfile, error)
	Environments(ctx context.Context) ([]*sotopia.EnvironmentProfile, error)

	SaveRelationship(ctx context.Context, r *sotopia.RelationshipProfile) error
	Relationship(ctx context.Context, pk string) (*sotopia.RelationshipProfile, error)
	Relationships(ctx context.Context) ([]*sotopia.RelationshipProfile, error)

	SaveTask(ctx context.Context, t sotopia.Task) error
	Task(ctx context.Context, pk string) (sotopia.Task, error)
	Tasks(ctx context.Context) ([]sotopia.Task, error)

	SaveEnvironmentList(ctx context.Context, l *EnvironmentList) error
	EnvironmentList(ctx context.Context, pk string) (*EnvironmentList, error)
	EnvironmentLists(ctx context.Context) ([]*EnvironmentList, error)

	// LoadDataset adds the dataset's agents, scenarios, relationships, tasks and the hard list.
	LoadDataset(ctx context.Context, ds *sotopia.Dataset) error

	// BindTag stores rc unless its tag is bound already: nil if bound to the same fingerprint,
	// a *TagBoundError (errors.Is ErrTagBound) if bound to another. It never overwrites.
	BindTag(ctx context.Context, rc RunConfig) error
	// TagConfig is the configuration a tag is bound to (ErrNotFound if none).
	TagConfig(ctx context.Context, tag string) (RunConfig, error)
	// LockTag makes the caller the only writer of tag, across processes, until release. A tag
	// held by another writer fails at once with an error naming the tag.
	LockTag(ctx context.Context, tag string) (release func(), err error)

	Ping(ctx context.Context) error
	Close() error
}

// checkPK rejects pks that would break a key or a SCAN pattern.
func checkPK(what, pk string) error {
	if pk == "" {
		return fmt.Errorf("%s: empty pk", what)
	}
	if i := strings.IndexAny(pk, ":*?[]\\ \t\r\n"); i >= 0 {
		return fmt.Errorf("%s: pk %q contains %q", what, pk, pk[i])
	}
	return nil
}

// normalizeEpisode validates ep and returns the copy that is stored (see Store).
func normalizeEpisode(ep *sotopia.EpisodeLog) (*sotopia.EpisodeLog, error) {
	if ep == nil {
		return nil, errors.New("episode: nil")
	}
	if err := checkPK("episode", ep.PK); err != nil {
		return nil, err
	}
	switch ep.Status {
	case sotopia.StatusDone, sotopia.StatusFailed, sotopia.StatusInterrupted:
	default:
		return nil, fmt.Errorf("episode %s: status %q, want %q, %q or %q", ep.PK, ep.Status,
			sotopia.StatusDone, sotopia.StatusFailed, sotopia.StatusInterrupted)
	}
	if ep.Environment == "" {
		return nil, fmt.Errorf("episode %s: empty environment", ep.PK)
	}
	if len(ep.Rewards) > len(ep.Agents) {
		return nil, fmt.Errorf("episode %s: %d rewards for %d agents", ep.PK, len(ep.Rewards), len(ep.Agents))
	}
	n := *ep
	if n.Agents == nil {
		n.Agents = []string{}
	}
	if n.Models == nil {
		n.Models = []string{}
	}
	if n.Messages == nil {
		n.Messages = [][]sotopia.Message{}
	}
	if len(n.Rewards) < len(n.Agents) {
		rs := make([]sotopia.SeatReward, len(n.Agents))
		copy(rs, n.Rewards)
		n.Rewards = rs
	} else if n.Rewards == nil {
		n.Rewards = []sotopia.SeatReward{}
	}
	return &n, nil
}

// fromSotopia fills what a record written by Sotopia itself lacks: Sotopia saves only finished
// episodes, so a record without a status is done.
func fromSotopia(ep *sotopia.EpisodeLog) {
	if ep.Status == "" {
		ep.Status = sotopia.StatusDone
	}
}

func checkTask(t sotopia.Task) error {
	if err := checkPK("task", t.PK); err != nil {
		return err
	}
	if t.EnvID == "" {
		return fmt.Errorf("task %s: empty env_id", t.PK)
	}
	return nil
}

func checkEnvList(l *EnvironmentList) error {
	if l == nil {
		return errors.New("environment list: nil")
	}
	if err := checkPK("environment list", l.PK); err != nil {
		return err
	}
	if l.AgentIndex != nil && len(l.AgentIndex) != len(l.Environments) {
		return fmt.Errorf("environment list %s: %d agent_index entries for %d environments", l.PK, len(l.AgentIndex), len(l.Environments))
	}
	return nil
}

// hardList is the EnvironmentList LoadDataset adds for Sotopia-hard.
func hardList(ds *sotopia.Dataset) *EnvironmentList {
	return &EnvironmentList{PK: HardEnvironmentListPK, Name: HardEnvironmentListName,
		Environments: append([]string(nil), ds.HardEnvIDs...)}
}
