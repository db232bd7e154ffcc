package store

import (
	"errors"
	"fmt"

	"github.com/also-project/also/sotopia"
)

// Redis key prefixes: redis-om's "{global_prefix}:{module.Class}:" with an empty global prefix
// (sotopia.md 1.10). A record's key is the prefix followed by its pk.
const (
	KeyPrefixEpisodeLog          = ":sotopia.database.logs.EpisodeLog:"
	KeyPrefixAgentProfile        = ":sotopia.database.persistent_profile.AgentProfile:"
	KeyPrefixEnvironmentProfile  = ":sotopia.database.persistent_profile.EnvironmentProfile:"
	KeyPrefixRelationshipProfile = ":sotopia.database.persistent_profile.RelationshipProfile:"
	KeyPrefixEnvironmentList     = ":sotopia.database.persistent_profile.EnvironmentList:"
	KeyPrefixEnvAgentCombo       = ":sotopia.database.env_agent_combo_storage.EnvAgentComboStorage:"
)

// kind describes one persisted profile type: its Sotopia class name (also the embedded store's
// file name), its Redis key prefix, and how to get and check its pk.
type kind[T any] struct {
	name   string
	prefix string
	pk     func(T) string
	check  func(T) error
}

func profileCheck[T any](what string, pk func(T) string, isNil func(T) bool) func(T) error {
	return func(v T) error {
		if isNil(v) {
			return errors.New(what + ": nil")
		}
		return checkPK(what, pk(v))
	}
}

func agentKind() kind[*sotopia.AgentProfile] {
	pk := func(a *sotopia.AgentProfile) string { return a.PK }
	return kind[*sotopia.AgentProfile]{"AgentProfile", KeyPrefixAgentProfile, pk,
		profileCheck("agent profile", pk, func(a *sotopia.AgentProfile) bool { return a == nil })}
}

func environmentKind() kind[*sotopia.EnvironmentProfile] {
	pk := func(e *sotopia.EnvironmentProfile) string { return e.PK }
	return kind[*sotopia.EnvironmentProfile]{"EnvironmentProfile", KeyPrefixEnvironmentProfile, pk,
		profileCheck("environment profile", pk, func(e *sotopia.EnvironmentProfile) bool { return e == nil })}
}

func relationshipKind() kind[*sotopia.RelationshipProfile] {
	pk := func(r *sotopia.RelationshipProfile) string { return r.PK }
	return kind[*sotopia.RelationshipProfile]{"RelationshipProfile", KeyPrefixRelationshipProfile, pk,
		profileCheck("relationship profile", pk, func(r *sotopia.RelationshipProfile) bool { return r == nil })}
}

func taskKind() kind[sotopia.Task] {
	return kind[sotopia.Task]{"EnvAgentComboStorage", KeyPrefixEnvAgentCombo,
		func(t sotopia.Task) string { return t.PK }, checkTask}
}

func envListKind() kind[*EnvironmentList] {
	return kind[*EnvironmentList]{"EnvironmentList", KeyPrefixEnvironmentList,
		func(l *EnvironmentList) string { return l.PK }, checkEnvList}
}

// episodeKindName is the embedded store's file name for episodes and the outbox kind.
const episodeKindName = "EpisodeLog"

// profileKindNames lists the profile kinds in the order LoadDataset writes them.
var profileKindNames = []string{"AgentProfile", "EnvironmentProfile", "RelationshipProfile",
	"EnvAgentComboStorage", "EnvironmentList"}

// datasetItems is one kind's share of a dataset: pks and their JSON, in dataset order.
type datasetItems struct {
	kind, prefix string
	pks          []string
	docs         [][]byte
}

func collect[T any](k kind[T], vs []T) (datasetItems, error) {
	it := datasetItems{kind: k.name, prefix: k.prefix}
	for _, v := range vs {
		if err := k.check(v); err != nil {
			return it, fmt.Errorf("dataset: %w", err)
		}
		b, err := marshal(v)
		if err != nil {
			return it, err
		}
		it.pks = append(it.pks, k.pk(v))
		it.docs = append(it.docs, b)
	}
	return it, nil
}

// datasetContent turns a dataset into per-kind documents, each kind sorted by pk.
func datasetContent(ds *sotopia.Dataset) ([]datasetItems, error) {
	if ds == nil {
		return nil, errors.New("dataset: nil")
	}
	var out []datasetItems
	add := func(it datasetItems, err error) error {
		out = append(out, it)
		return err
	}
	if err := add(collect(agentKind(), sortedValues(ds.Agents))); err != nil {
		return nil, err
	}
	if err := add(collect(environmentKind(), sortedValues(ds.Envs))); err != nil {
		return nil, err
	}
	if err := add(collect(relationshipKind(), ds.Relationships)); err != nil {
		return nil, err
	}
	if err := add(collect(taskKind(), ds.Tasks)); err != nil {
		return nil, err
	}
	if err := add(collect(envListKind(), []*EnvironmentList{hardList(ds)})); err != nil {
		return nil, err
	}
	return out, nil
}
