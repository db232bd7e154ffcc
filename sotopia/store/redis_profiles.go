package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/also-project/also/sotopia"
)

func redisSave[T any](ctx context.Context, r *Redis, k kind[T], v T) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	if err := k.check(v); err != nil {
		return err
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Errorf("%s %s: %w", k.name, k.pk(v), err)
	}
	pk := k.pk(v)
	return r.putNew(ctx, "save "+k.name+" "+pk, k.prefix+pk, b,
		func(stored []byte) error { return sameDoc[T](k.name, pk, stored, b) }, nil)
}

func redisGet[T any](ctx context.Context, r *Redis, k kind[T], pk string) (T, error) {
	var v T
	if err := r.check(ctx); err != nil {
		return v, err
	}
	docs, err := r.getDocs(ctx, []string{k.prefix + pk})
	if err != nil {
		return v, err
	}
	if docs[0] == nil {
		return v, fmt.Errorf("%s %q: %w", k.name, pk, ErrNotFound)
	}
	if err := json.Unmarshal(docs[0], &v); err != nil {
		return v, fmt.Errorf("decode %s%s: %w", k.prefix, pk, err)
	}
	return v, nil
}

// redisAll is Sotopia's all_pks (SCAN MATCH :<prefix>:*) followed by reads, sorted by pk.
func redisAll[T any](ctx context.Context, r *Redis, k kind[T]) ([]T, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	keys, err := r.scanKeys(ctx, k.prefix+"*")
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	docs, err := r.getDocs(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(docs))
	for i, b := range docs {
		if b == nil {
			continue
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", keys[i], err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (r *Redis) SaveAgent(ctx context.Context, a *sotopia.AgentProfile) error {
	return redisSave(ctx, r, agentKind(), a)
}

func (r *Redis) Agent(ctx context.Context, pk string) (*sotopia.AgentProfile, error) {
	return redisGet(ctx, r, agentKind(), pk)
}

func (r *Redis) Agents(ctx context.Context) ([]*sotopia.AgentProfile, error) {
	return redisAll(ctx, r, agentKind())
}

func (r *Redis) SaveEnvironment(ctx context.Context, e *sotopia.EnvironmentProfile) error {
	return redisSave(ctx, r, environmentKind(), e)
}

func (r *Redis) Environment(ctx context.Context, pk string) (*sotopia.EnvironmentProfile, error) {
	return redisGet(ctx, r, environmentKind(), pk)
}

func (r *Redis) Environments(ctx context.Context) ([]*sotopia.EnvironmentProfile, error) {
	return redisAll(ctx, r, environmentKind())
}

func (r *Redis) SaveRelationship(ctx context.Context, rel *sotopia.RelationshipProfile) error {
	return redisSave(ctx, r, relationshipKind(), rel)
}

func (r *Redis) Relationship(ctx context.Context, pk string) (*sotopia.RelationshipProfile, error) {
	return redisGet(ctx, r, relationshipKind(), pk)
}

func (r *Redis) Relationships(ctx context.Context) ([]*sotopia.RelationshipProfile, error) {
	return redisAll(ctx, r, relationshipKind())
}

func (r *Redis) SaveTask(ctx context.Context, t sotopia.Task) error {
	return redisSave(ctx, r, taskKind(), t)
}

func (r *Redis) Task(ctx context.Context, pk string) (sotopia.Task, error) {
	return redisGet(ctx, r, taskKind(), pk)
}

func (r *Redis) Tasks(ctx context.Context) ([]sotopia.Task, error) {
	return redisAll(ctx, r, taskKind())
}

func (r *Redis) SaveEnvironmentList(ctx context.Context, l *EnvironmentList) error {
	return redisSave(ctx, r, envListKind(), l)
}

func (r *Redis) EnvironmentList(ctx context.Context, pk string) (*EnvironmentList, error) {
	return redisGet(ctx, r, envListKind(), pk)
}

func (r *Redis) EnvironmentLists(ctx context.Context) ([]*EnvironmentList, error) {
	return redisAll(ctx, r, envListKind())
}

// LoadDataset writes every object with NX (SET NX / JSON.SET ... NX) in one pipeline, so objects
// already in the database, a Sotopia user's included, are left untouched.
func (r *Redis) LoadDataset(ctx context.Context, ds *sotopia.Dataset) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	content, err := datasetContent(ds)
	if err != nil {
		return err
	}
	p := r.rdb.Pipeline()
	for _, it := range content {
		for i, pk := range it.pks {
			r.setDoc(ctx, p, it.prefix+pk, it.docs[i], true)
		}
	}
	cmds, err := p.Exec(ctx)
	if err != nil && !isNilReply(err) {
		return r.wrap("load dataset", err)
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil && !isNilReply(err) {
			return r.wrap("load dataset: "+strings.Join(argStrings(c.Args()[:2]), " "), err)
		}
	}
	return nil
}

var _ Store = (*Redis)(nil)
