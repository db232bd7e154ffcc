package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/also-project/also/sotopia"
)

// putDocs appends documents of one kind with a single fsync. Pks already stored are skipped when
// same (given) says they hold the same content, else refused with its error; LoadDataset passes
// nil to skip every stored pk. It returns how many were written.
func (d *Dir) putDocs(ctx context.Context, kindName string, pks []string, docs [][]byte, same func(pk string, stored, doc []byte) error) (int, error) {
	t := d.tables[kindName]
	var n int
	err := d.appendTo(ctx, t.log, t.apply(kindName), func() ([][]byte, error) {
		var write [][]byte
		for i, pk := range pks {
			if old, ok := t.docs[pk]; ok {
				if same == nil {
					continue
				}
				if err := same(pk, old, docs[i]); err != nil {
					return nil, err
				}
				continue
			}
			write = append(write, docs[i])
		}
		n = len(write)
		return write, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func dirSave[T any](ctx context.Context, d *Dir, k kind[T], v T) error {
	if err := k.check(v); err != nil {
		return err
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("%s %s: %w", k.name, k.pk(v), err)
	}
	_, err = d.putDocs(ctx, k.name, []string{k.pk(v)}, [][]byte{b}, func(pk string, stored, doc []byte) error {
		return sameDoc[T](k.name, pk, stored, doc)
	})
	return err
}

func dirGet[T any](ctx context.Context, d *Dir, k kind[T], pk string) (T, error) {
	var v T
	if err := d.refresh(ctx); err != nil {
		return v, err
	}
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
	if err := d.refresh(ctx); err != nil {
		return nil, err
	}
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
		if _, err := d.putDocs(ctx, it.kind, it.pks, it.docs, nil); err != nil {
			return err
		}
	}
	return nil
}

// interface check
var _ Store = (*Dir)(nil)
