package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys of also's own records in Redis (Sotopia has no such classes, so no redis-om prefix).
const (
	keyPrefixRunConfig = "also:RunConfig:"
	keyPrefixTagLock   = "also:lock:tag:"
)

// BindTag stores rc with SET NX unless the tag is bound already (see Store).
func (r *Redis) BindTag(ctx context.Context, rc RunConfig) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	b, err := checkRunConfig(rc)
	if err != nil {
		return err
	}
	key := keyPrefixRunConfig + rc.Tag
	set, err := r.rdb.SetNX(ctx, key, b, 0).Result()
	if err != nil {
		return r.wrap("bind tag "+rc.Tag, err)
	}
	if set {
		return nil
	}
	old, err := r.rdb.Get(ctx, key).Bytes()
	if err != nil {
		return r.wrap("bind tag "+rc.Tag, err)
	}
	return boundCheck(old, rc)
}

// TagConfig returns the configuration tag is bound to.
func (r *Redis) TagConfig(ctx context.Context, tag string) (RunConfig, error) {
	if err := r.check(ctx); err != nil {
		return RunConfig{}, err
	}
	b, err := r.rdb.Get(ctx, keyPrefixRunConfig+tag).Bytes()
	if errors.Is(err, redis.Nil) {
		return RunConfig{}, fmt.Errorf("configuration of tag %q: %w", tag, ErrNotFound)
	}
	if err != nil {
		return RunConfig{}, r.wrap("tag configuration "+tag, err)
	}
	return decodeRunConfig(tag, b)
}

// tagLockTTL is how long a Redis tag lock outlives a writer that died without releasing it.
var tagLockTTL = 30 * time.Second

var (
	renewIfOwner  = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) end return 0`)
	deleteIfOwner = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)
)

// LockTag takes the tag's lock key (SET NX with a TTL, renewed while held), so a writer that
// dies frees the tag within tagLockTTL.
func (r *Redis) LockTag(ctx context.Context, tag string) (func(), error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	if tag == "" {
		return nil, errors.New("lock tag: empty tag")
	}
	var nonce [8]byte
	rand.Read(nonce[:])
	host, _ := os.Hostname()
	owner := "pid " + strconv.Itoa(os.Getpid()) + " on " + host + " " + hex.EncodeToString(nonce[:])
	key := keyPrefixTagLock + tag
	ok, err := r.rdb.SetNX(ctx, key, owner, tagLockTTL).Result()
	if err != nil {
		return nil, r.wrap("lock tag "+tag, err)
	}
	if !ok {
		holder, _ := r.rdb.Get(ctx, key).Result()
		return nil, fmt.Errorf("tag %s is being written by another run (%s, Redis key %s): one writer per tag at a time; wait for it to finish or use another --tag",
			tag, holder, key)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(tagLockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(context.Background(), tagLockTTL/3)
				renewIfOwner.Run(rctx, r.rdb, []string{key}, owner, tagLockTTL.Milliseconds())
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			if !r.closed.Load() {
				dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				deleteIfOwner.Run(dctx, r.rdb, []string{key}, owner)
				cancel()
			}
		})
	}, nil
}
