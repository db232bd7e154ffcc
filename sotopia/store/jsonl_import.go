package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/oklog/ulid/v2"

	"github.com/also-project/also/sotopia"
)

// ImportedPK is the id of the copy of episode pk imported under tag: deterministic (importing the
// same file again finds its copies) and distinct from pk and from copies under other tags.
func ImportedPK(tag, pk string) string {
	h := sha256.Sum256(fmt.Appendf(nil, "import|%s|%s", tag, pk))
	var id ulid.ULID
	copy(id[:], h[:16])
	id[0] &= 0x7f // keep the timestamp part within ULID's valid range
	return id.String()
}

// SameEpisode reports whether a and b are the same record once stored (see Store.SaveEpisode).
func SameEpisode(a, b *sotopia.EpisodeLog) bool {
	na, err := normalizeEpisode(a)
	if err != nil {
		return false
	}
	nb, err := normalizeEpisode(b)
	if err != nil {
		return false
	}
	ba, err1 := marshal(na)
	bb, err2 := marshal(nb)
	return err1 == nil && err2 == nil && bytes.Equal(ba, bb)
}

// jsonlEpisode is one line of Sotopia's episode JSONL (sotopia.md 1.9): the EpisodeLog under
// renamed keys plus fields denormalised from the profiles.
type jsonlEpisode struct {
	EpisodeID          string               `json:"episode_id"`
	EnvironmentID      string               `json:"environment_id"`
	AgentIDs           []string             `json:"agent_ids"`
	ExperimentTag      *string              `json:"experiment_tag"`
	Models             []string             `json:"experiment_model_name_pairs"`
	RawMessages        [][]sotopia.Message  `json:"raw_messages"`
	RawRewards         []sotopia.SeatReward `json:"raw_rewards"`
	RawRewardsPrompt   string               `json:"raw_rewards_prompt"`
	Scenario           string               `json:"scenario"`
	Codename           string               `json:"codename"`
	AgentsBackground   map[string]string    `json:"agents_background"`
	SocialGoals        map[string]string    `json:"social_goals"`
	SocialInteractions string               `json:"social_interactions"`
	Reasoning          string               `json:"reasoning"`
	Rewards            []map[string]float64 `json:"rewards"`
}

// ImportJSONL reads Sotopia's episode JSONL into episodes with status done. Files that carry only
// the per-seat `rewards` dicts (Sotopia's older export without raw_* fields) are accepted; when
// both forms are present they must agree. With a dataset, the task is found from the scenario and
// the agents in seat order, and a missing codename is filled in. Errors name the line.
func ImportJSONL(r io.Reader, ds *sotopia.Dataset) ([]*sotopia.EpisodeLog, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []*sotopia.EpisodeLog
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			ep, perr := importLine(line, ds)
			if perr != nil {
				return nil, fmt.Errorf("episodes JSONL line %d: %w", lineNo, perr)
			}
			out = append(out, ep)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("episodes JSONL line %d: %w", lineNo, err)
		}
	}
}

func importLine(line []byte, ds *sotopia.Dataset) (*sotopia.EpisodeLog, error) {
	var row jsonlEpisode
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&row); err != nil {
		return nil, err
	}
	if err := checkPK("episode_id", row.EpisodeID); err != nil {
		return nil, err
	}
	id := row.EpisodeID
	if row.EnvironmentID == "" {
		return nil, fmt.Errorf("episode %s: missing environment_id", id)
	}
	rewards, err := importRewards(id, row.RawRewards, row.Rewards)
	if err != nil {
		return nil, err
	}
	if len(rewards) != len(row.AgentIDs) {
		return nil, fmt.Errorf("episode %s: %d rewards for %d agent_ids", id, len(rewards), len(row.AgentIDs))
	}
	ep := &sotopia.EpisodeLog{
		PK: id, Environment: row.EnvironmentID, Agents: row.AgentIDs, Models: row.Models,
		Messages: row.RawMessages, Reasoning: row.Reasoning, Rewards: rewards,
		RewardsPrompt: row.RawRewardsPrompt, Codename: row.Codename, Status: sotopia.StatusDone,
	}
	if row.ExperimentTag != nil {
		ep.Tag = *row.ExperimentTag
	}
	if ep.Agents == nil {
		ep.Agents = []string{}
	}
	if ep.Models == nil {
		ep.Models = []string{}
	}
	if ep.Messages == nil {
		ep.Messages = [][]sotopia.Message{}
	}
	if ds != nil {
		if env, ok := ds.Envs[ep.Environment]; ok && ep.Codename == "" {
			ep.Codename = env.Codename
		}
		for _, t := range ds.TasksByEnv[ep.Environment] {
			if reflect.DeepEqual(t.AgentIDs, ep.Agents) {
				ep.TaskID = t.PK
				break
			}
		}
	}
	return ep, nil
}

// importRewards reconciles raw_rewards (tuples, or a bare float for a failed judge) with the
// rewards dicts ({} for a failed judge in our own exports).
func importRewards(id string, raw []sotopia.SeatReward, dicts []map[string]float64) ([]sotopia.SeatReward, error) {
	fromDicts := make([]sotopia.SeatReward, len(dicts))
	for i, d := range dicts {
		if len(d) == 0 {
			continue
		}
		var s sotopia.Scores
		for j, dim := range sotopia.Dimensions {
			v, ok := d[dim.Key]
			if !ok {
				return nil, fmt.Errorf("episode %s: rewards[%d] lacks %q", id, i, dim.Key)
			}
			s[j] = v
		}
		fromDicts[i] = sotopia.NewSeatReward(s)
	}
	if raw == nil {
		if dicts == nil {
			return nil, errors.New("episode " + id + ": neither raw_rewards nor rewards")
		}
		return fromDicts, nil
	}
	if dicts != nil {
		if len(dicts) != len(raw) {
			return nil, fmt.Errorf("episode %s: %d raw_rewards but %d rewards", id, len(raw), len(dicts))
		}
		for i := range raw {
			if raw[i].Valid != fromDicts[i].Valid || raw[i].Scores != fromDicts[i].Scores {
				return nil, fmt.Errorf("episode %s: raw_rewards[%d] and rewards[%d] disagree", id, i, i)
			}
		}
	}
	return raw, nil
}

// NewEpisodes returns the episodes the store lacks. An id stored (or repeated in eps) with other
// content is an error naming it: an import never replaces anything, nor writes half of itself.
func NewEpisodes(ctx context.Context, st Store, eps []*sotopia.EpisodeLog) ([]*sotopia.EpisodeLog, error) {
	seen := map[string]*sotopia.EpisodeLog{}
	var fresh []*sotopia.EpisodeLog
	for _, ep := range eps {
		if prev, ok := seen[ep.PK]; ok {
			if !SameEpisode(prev, ep) {
				return nil, fmt.Errorf("episode %s appears twice with different content: %w", ep.PK, ErrConflict)
			}
			continue
		}
		seen[ep.PK] = ep
		old, err := st.Episode(ctx, ep.PK)
		switch {
		case errors.Is(err, ErrNotFound):
			fresh = append(fresh, ep)
		case err != nil:
			return nil, err
		case !SameEpisode(old, ep):
			return nil, fmt.Errorf("episode %s is stored (tag %s) with other content: %w; import under a new --tag to keep both",
				ep.PK, shownTag(old.Tag), ErrConflict)
		}
	}
	return fresh, nil
}

// shownTag names a tag in a message; the empty tag is shown as such.
func shownTag(tag string) string {
	if tag == "" {
		return "(no tag)"
	}
	return tag
}
