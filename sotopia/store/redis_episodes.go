package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/also-project/also/sotopia"
	"github.com/redis/go-redis/v9"
)

// Secondary index sets of the plain mode (sotopia.md 7): one set of pks per field value.
const (
	idxEpisodeAll    = "idx:EpisodeLog:all"
	idxEpisodeTag    = "idx:EpisodeLog:tag:"
	idxEpisodeEnv    = "idx:EpisodeLog:environment:"
	idxEpisodeTask   = "idx:EpisodeLog:task:"
	idxEpisodeStatus = "idx:EpisodeLog:status:"
)

// episodeHead is the part of an episode the indexes and stats need.
type episodeHead struct {
	PK          string `json:"pk"`
	Environment string `json:"environment"`
	Tag         string `json:"tag"`
	TaskID      string `json:"task_id"`
	Status      string `json:"status"`
}

func (h episodeHead) indexKeys() []string {
	keys := []string{idxEpisodeAll, idxEpisodeTag + h.Tag, idxEpisodeEnv + h.Environment, idxEpisodeStatus + h.Status}
	if h.TaskID != "" {
		keys = append(keys, idxEpisodeTask+h.TaskID)
	}
	return keys
}

// SaveEpisode writes a new episode (and, in plain mode, its index entries) in one MULTI/EXEC
// guarded by WATCH on its key. An episode already stored under the pk is never replaced: the
// same content is a no-op, other content is ErrConflict.
func (r *Redis) SaveEpisode(ctx context.Context, ep *sotopia.EpisodeLog) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	n, err := normalizeEpisode(ep)
	if err != nil {
		return err
	}
	doc, err := marshal(n)
	if err != nil {
		return fmt.Errorf("episode %s: %w", n.PK, err)
	}
	head := episodeHead{PK: n.PK, Environment: n.Environment, Tag: n.Tag, TaskID: n.TaskID, Status: n.Status}
	return r.putNew(ctx, "save episode "+n.PK, KeyPrefixEpisodeLog+n.PK, doc,
		func(stored []byte) error { return sameEpisode("episode", n.PK, stored, doc) },
		func(p redis.Pipeliner) {
			if r.mode == RedisPlain {
				for _, k := range head.indexKeys() {
					p.SAdd(ctx, k, n.PK)
				}
			}
		})
}

// putNew stores doc under key, with extra commands in the same transaction, unless key exists:
// then same says whether the stored document is this one (nil: nothing to do) or not.
func (r *Redis) putNew(ctx context.Context, what, key string, doc []byte, same func(stored []byte) error, extra func(redis.Pipeliner)) error {
	if r.mode == RedisJSON { // JSON.SET NX is atomic; JSON mode keeps no index sets
		err := r.setDoc(ctx, r.rdb, key, doc, true).Err()
		if !errors.Is(err, redis.Nil) {
			return r.wrap(what, err)
		}
		docs, err := r.getDocs(ctx, []string{key})
		if err != nil {
			return err
		}
		if docs[0] == nil {
			return r.wrap(what, errors.New("the document exists and vanished: removed by someone else meanwhile"))
		}
		return same(docs[0])
	}
	var verdict error
	txf := func(tx *redis.Tx) error {
		verdict = nil
		old, err := r.getDocTx(ctx, tx, key)
		if err != nil {
			return err
		}
		if old != nil {
			verdict = same(old)
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			r.setDoc(ctx, p, key, doc, false)
			if extra != nil {
				extra(p)
			}
			return nil
		})
		return err
	}
	for attempt := 0; ; attempt++ {
		err := r.rdb.Watch(ctx, txf, key)
		if err == nil {
			return verdict
		}
		if !errors.Is(err, redis.TxFailedErr) || attempt >= 50 {
			return r.wrap(what, err)
		}
	}
}

// getDocTx reads one document inside a WATCH; nil if the key does not exist.
func (r *Redis) getDocTx(ctx context.Context, tx *redis.Tx, key string) ([]byte, error) {
	var s string
	var err error
	if r.mode == RedisJSON {
		s, err = tx.Do(ctx, "JSON.GET", key).Text()
	} else {
		s, err = tx.Get(ctx, key).Result()
	}
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

func decodeEpisode(key string, b []byte) (*sotopia.EpisodeLog, error) {
	var ep sotopia.EpisodeLog
	if err := json.Unmarshal(b, &ep); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	if ep.PK == "" {
		ep.PK = strings.TrimPrefix(key, KeyPrefixEpisodeLog)
	}
	fromSotopia(&ep)
	return &ep, nil
}

func (r *Redis) Episode(ctx context.Context, pk string) (*sotopia.EpisodeLog, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	key := KeyPrefixEpisodeLog + pk
	docs, err := r.getDocs(ctx, []string{key})
	if err != nil {
		return nil, err
	}
	if docs[0] == nil {
		return nil, fmt.Errorf("episode %q: %w", pk, ErrNotFound)
	}
	return decodeEpisode(key, docs[0])
}

// Episodes answers from the index sets (SINTER) in plain mode; in JSON mode it scans all episode
// documents and filters, which also covers episodes Sotopia wrote itself.
func (r *Redis) Episodes(ctx context.Context, q Query) ([]*sotopia.EpisodeLog, error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	var keys []string
	if r.mode == RedisPlain {
		sets := []string{idxEpisodeAll}
		for _, f := range [][2]string{{idxEpisodeTag, q.Tag}, {idxEpisodeEnv, q.EnvID}, {idxEpisodeTask, q.TaskID}, {idxEpisodeStatus, q.Status}} {
			if f[1] != "" {
				sets = append(sets, f[0]+f[1])
			}
		}
		pks, err := r.rdb.SInter(ctx, sets...).Result()
		if err != nil {
			return nil, r.wrap("query episodes", err)
		}
		for _, pk := range pks {
			keys = append(keys, KeyPrefixEpisodeLog+pk)
		}
	} else {
		var err error
		if keys, err = r.scanKeys(ctx, KeyPrefixEpisodeLog+"*"); err != nil {
			return nil, err
		}
	}
	sort.Strings(keys)
	docs, err := r.getDocs(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]*sotopia.EpisodeLog, 0, len(docs))
	for i, b := range docs {
		if b == nil {
			continue // removed between listing and reading
		}
		ep, err := decodeEpisode(keys[i], b)
		if err != nil {
			return nil, err
		}
		if q.matches(ep) {
			out = append(out, ep)
		}
	}
	return out, nil
}

func (r *Redis) Tags(ctx context.Context) ([]string, error) {
	st, err := r.Stats(ctx)
	if err != nil {
		return nil, err
	}
	return sortedKeys(st.ByTag), nil
}

// Stats reads only the index sets in plain mode; in JSON mode it scans the episode documents.
func (r *Redis) Stats(ctx context.Context) (Stats, error) {
	if err := r.check(ctx); err != nil {
		return Stats{}, err
	}
	st := Stats{ByTag: map[string]Counts{}}
	if r.mode == RedisJSON {
		keys, err := r.scanKeys(ctx, KeyPrefixEpisodeLog+"*")
		if err != nil {
			return st, err
		}
		docs, err := r.getDocs(ctx, keys)
		if err != nil {
			return st, err
		}
		for i, b := range docs {
			if b == nil {
				continue
			}
			var h episodeHead
			if err := json.Unmarshal(b, &h); err != nil {
				return st, fmt.Errorf("decode %s: %w", keys[i], err)
			}
			if h.Status == "" {
				h.Status = sotopia.StatusDone
			}
			st.count(h.Tag, h.Status, 1)
		}
		return st, nil
	}
	status := map[string]string{}
	statusKeys, err := r.scanKeys(ctx, idxEpisodeStatus+"*")
	if err != nil {
		return st, err
	}
	for _, k := range statusKeys {
		pks, err := r.rdb.SMembers(ctx, k).Result()
		if err != nil {
			return st, r.wrap("stats", err)
		}
		for _, pk := range pks {
			status[pk] = strings.TrimPrefix(k, idxEpisodeStatus)
		}
	}
	tagKeys, err := r.scanKeys(ctx, idxEpisodeTag+"*")
	if err != nil {
		return st, err
	}
	for _, k := range tagKeys {
		pks, err := r.rdb.SMembers(ctx, k).Result()
		if err != nil {
			return st, r.wrap("stats", err)
		}
		for _, pk := range pks {
			st.count(strings.TrimPrefix(k, idxEpisodeTag), status[pk], 1)
		}
	}
	return st, nil
}

func (st *Stats) count(tag, status string, n int) {
	st.add(status, n)
	c := st.ByTag[tag]
	c.add(status, n)
	st.ByTag[tag] = c
}
