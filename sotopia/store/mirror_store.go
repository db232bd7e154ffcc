package store

import (
	"context"

	"github.com/also-project/also/sotopia"
)

// The Store methods of Mirror: writes go local first and are then forwarded; reads are local.

func (m *Mirror) SaveEpisode(ctx context.Context, ep *sotopia.EpisodeLog) error {
	if err := m.local.SaveEpisode(ctx, ep); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: episodeKindName, PK: ep.PK})
}

func (m *Mirror) SaveAgent(ctx context.Context, a *sotopia.AgentProfile) error {
	if err := m.local.SaveAgent(ctx, a); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: "AgentProfile", PK: a.PK})
}

func (m *Mirror) SaveEnvironment(ctx context.Context, e *sotopia.EnvironmentProfile) error {
	if err := m.local.SaveEnvironment(ctx, e); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: "EnvironmentProfile", PK: e.PK})
}

func (m *Mirror) SaveRelationship(ctx context.Context, r *sotopia.RelationshipProfile) error {
	if err := m.local.SaveRelationship(ctx, r); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: "RelationshipProfile", PK: r.PK})
}

func (m *Mirror) SaveTask(ctx context.Context, t sotopia.Task) error {
	if err := m.local.SaveTask(ctx, t); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: "EnvAgentComboStorage", PK: t.PK})
}

func (m *Mirror) SaveEnvironmentList(ctx context.Context, l *EnvironmentList) error {
	if err := m.local.SaveEnvironmentList(ctx, l); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: "EnvironmentList", PK: l.PK})
}

// LoadDataset loads locally, then remotely; a remote failure is retried in the background. The
// pending dataset load is kept in memory only: callers load the embedded dataset on every start.
func (m *Mirror) LoadDataset(ctx context.Context, ds *sotopia.Dataset) error {
	if err := m.local.LoadDataset(ctx, ds); err != nil {
		return err
	}
	m.sendMu.Lock()
	m.pendingDS = ds
	m.dsPending.Store(true)
	m.sendMu.Unlock()
	if m.down.Load() || m.flushDataset(ctx) != nil {
		m.wake()
	}
	return nil
}

// BindTag binds the tag locally and in the remote. When the remote answers (it is asked even if
// it was down: a run binds its tag once, at start), a binding it holds for another configuration
// refuses the run before anything is bound locally.
func (m *Mirror) BindTag(ctx context.Context, rc RunConfig) error {
	m.sendMu.Lock()
	r, err := m.remoteLocked(ctx)
	var old RunConfig
	if err == nil {
		err = m.call(ctx, func(ctx context.Context) (err error) { old, err = r.TagConfig(ctx, rc.Tag); return err })
	}
	m.sendMu.Unlock()
	if err == nil && old.Fingerprint != rc.Fingerprint {
		return &TagBoundError{Existing: old}
	}
	if err := m.local.BindTag(ctx, rc); err != nil {
		return err
	}
	return m.forward(ctx, outboxItem{Kind: runConfigKindName, PK: rc.Tag})
}

func (m *Mirror) TagConfig(ctx context.Context, tag string) (RunConfig, error) {
	return m.local.TagConfig(ctx, tag)
}

// LockTag locks the tag in the local store, which every write goes through first.
func (m *Mirror) LockTag(ctx context.Context, tag string) (func(), error) {
	return m.local.LockTag(ctx, tag)
}

func (m *Mirror) Episode(ctx context.Context, pk string) (*sotopia.EpisodeLog, error) {
	return m.local.Episode(ctx, pk)
}

func (m *Mirror) Episodes(ctx context.Context, q Query) ([]*sotopia.EpisodeLog, error) {
	return m.local.Episodes(ctx, q)
}

func (m *Mirror) Tags(ctx context.Context) ([]string, error) { return m.local.Tags(ctx) }
func (m *Mirror) Stats(ctx context.Context) (Stats, error)   { return m.local.Stats(ctx) }
func (m *Mirror) Ping(ctx context.Context) error             { return m.local.Ping(ctx) }
func (m *Mirror) Agents(ctx context.Context) ([]*sotopia.AgentProfile, error) {
	return m.local.Agents(ctx)
}

func (m *Mirror) Agent(ctx context.Context, pk string) (*sotopia.AgentProfile, error) {
	return m.local.Agent(ctx, pk)
}

func (m *Mirror) Environment(ctx context.Context, pk string) (*sotopia.EnvironmentProfile, error) {
	return m.local.Environment(ctx, pk)
}

func (m *Mirror) Environments(ctx context.Context) ([]*sotopia.EnvironmentProfile, error) {
	return m.local.Environments(ctx)
}

func (m *Mirror) Relationship(ctx context.Context, pk string) (*sotopia.RelationshipProfile, error) {
	return m.local.Relationship(ctx, pk)
}

func (m *Mirror) Relationships(ctx context.Context) ([]*sotopia.RelationshipProfile, error) {
	return m.local.Relationships(ctx)
}

func (m *Mirror) Task(ctx context.Context, pk string) (sotopia.Task, error) {
	return m.local.Task(ctx, pk)
}

func (m *Mirror) Tasks(ctx context.Context) ([]sotopia.Task, error) { return m.local.Tasks(ctx) }

func (m *Mirror) EnvironmentList(ctx context.Context, pk string) (*EnvironmentList, error) {
	return m.local.EnvironmentList(ctx, pk)
}

func (m *Mirror) EnvironmentLists(ctx context.Context) ([]*EnvironmentList, error) {
	return m.local.EnvironmentLists(ctx)
}
