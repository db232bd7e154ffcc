package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/also-project/also/sotopia"
)

// putDocs appends documents of one kind with a single fsync. With onlyMissing, pks already stored
// are skipped. It returns how many were written.
func (d *Dir) putDocs(ctx context.Context, kindName string, pks []string, docs [][]byte, onlyMissing bool) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.RLock()
	err := d.checkOpen(ctx)
	t := d.tables[kindName]
	var wpks []string
	var wdocs [][]byte
	for i, pk := range pks {
		if _, ok := t.docs[pk]; ok && onlyMissing {
			continue
		}
		wpks, wdocs = append(wpks, pk), append(wdocs, docs[i])
	}
	d.mu.RUnlock()
	if err != nil || len(wdocs) == 0 {
		return 0, err
	}
	if _, err := t.log.append(wdocs...); err != nil {
		return 0, fmt.Errorf("save %s: %w", kindName, err)
	}
	d.mu.Lock()
	for i, pk := range wpks {
		t.docs[pk] = wdocs[i]
	}
	d.mu.Unlock()
	return len(wdocs), nil
}

func dirSave[T any](ctx context.Context, d *Dir, k kind[T], v T) error {
	if err := k.check(v); err != nil {
		return err
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("%s %s: %w", k.name, k.pk(v), err)
	}
	_, err = d.putDocs(ctx, k.name, []string{k.pk(v)}, [][]byte{b}, false)
	return err
}

func dirGet[T any](ctx context.Context, d *Dir, k kind[T], pk string) (T, error) {
	var v T
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.checkOpen(ctx); err != nil {
		return v, err
	}
	b, ok := d.tables[k.name].docs[pk]
	if !ok {
		return v, fmt.Errorf("%s %q: %w", k.name, pk, ErrNotFound)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s %s: %w", k.name, pk, err)
	}
	return v, nil
}

func dirAll[T any](ctx context.Context, d *Dir, k kind[T]) ([]T, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.checkOpen(ctx); err != nil {
		return nil, err
	}
	docs := d.tables[k.name].docs
	out := make([]T, 0, len(docs))
	for _, pk := range sortedKeys(docs) {
		var v T
		if err := json.Unmarshal(docs[pk], &v); err != nil {
			return nil, fmt.Errorf("%s %s: %w", k.name, pk, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *Dir) SaveAgent(ctx context.Context, a *sotopia.AgentProfile) error {
	return dirSave(ctx, d, agentKind(), a)
}

func (d *Dir) Agent(ctx context.Context, pk string) (*sotopia.AgentProfile, error) {
	return dirGet(ctx, d, agentKind(), pk)
}

func (d *Dir) Agents(ctx context.Context) ([]*sotopia.AgentProfile, error) {
	return dirAll(ctx, d, agentKind())
}

func (d *Dir) SaveEnvironment(ctx context.Context, e *sotopia.EnvironmentProfile) error {
	return dirSave(ctx, d, environmentKind(), e)
}

func (d *Dir) Environment(ctx context.Context, pk string) (*sotopia.EnvironmentProfile, error) {
	return dirGet(ctx, d, environmentKind(), pk)
}

func (d *Dir) Environments(ctx context.Context) ([]*sotopia.EnvironmentProfile, error) {
	return dirAll(ctx, d, environmentKind())
}

func (d *Dir) SaveRelationship(ctx context.Context, r *sotopia.RelationshipProfile) error {
	return dirSave(ctx, d, relationshipKind(), r)
}

func (d *Dir) Relationship(ctx context.Context, pk string) (*sotopia.RelationshipProfile, error) {
	return dirGet(ctx, d, relationshipKind(), pk)
}

func (d *Dir) Relationships(ctx context.Context) ([]*sotopia.RelationshipProfile, error) {
	return dirAll(ctx, d, relationshipKind())
}

func (d *Dir) SaveTask(ctx context.Context, t sotopia.Task) error {
	return dirSave(ctx, d, taskKind(), t)
}

func (d *Dir) Task(ctx context.Context, pk string) (sotopia.Task, error) {
	return dirGet(ctx, d, taskKind(), pk)
}

func (d *Dir) Tasks(ctx context.Context) ([]sotopia.Task, error) {
	return dirAll(ctx, d, taskKind())
}

func (d *Dir) SaveEnvironmentList(ctx context.Context, l *EnvironmentList) error {
	return dirSave(ctx, d, envListKind(), l)
}

func (d *Dir) EnvironmentList(ctx context.Context, pk string) (*EnvironmentList, error) {
	return dirGet(ctx, d, envListKind(), pk)
}

func (d *Dir) EnvironmentLists(ctx context.Context) ([]*EnvironmentList, error) {
	return dirAll(ctx, d, envListKind())
}

// LoadDataset adds the dataset's objects that are not stored yet (one fsync per kind).
func (d *Dir) LoadDataset(ctx context.Context, ds *sotopia.Dataset) error {
	content, err := datasetContent(ds)
	if err != nil {
		return err
	}
	for _, it := range content {
		if _, err := d.putDocs(ctx, it.kind, it.pks, it.docs, true); err != nil {
			return err
		}
	}
	return nil
}

// interface check
var _ Store = (*Dir)(nil)
