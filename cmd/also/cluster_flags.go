package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/also-project/also/cluster"
	"github.com/also-project/also/config"
	"github.com/also-project/also/session"
	"github.com/also-project/also/sotopia/store"
)

// clusterFlags are the start-up flags of a cluster member (`also worker`, and `also run` or
// `also experiment` with --cluster). They are transport settings, not part of config.Run: where
// the episodes are played does not change what they are.
type clusterFlags struct {
	name, listen, peers, secret, etcd string
}

func (f *clusterFlags) define(fs *pflag.FlagSet, listenDefault string) {
	fs.StringVar(&f.name, "cluster", "", "cluster name: play the episodes on the workers of this cluster (needs --redis-url, the shared store)")
	fs.StringVar(&f.listen, "listen", listenDefault, "this member's cluster endpoint HOST:PORT (loopback by default; another address needs --cluster-secret)")
	fs.StringVar(&f.peers, "peers", "", "members to join through, HOST:PORT,... (a worker names the coordinator or any member)")
	fs.StringVar(&f.etcd, "etcd", "", "keep the membership in etcd instead: its client endpoints HOST:PORT,... (protoactor-go's etcd provider; replaces --peers)")
	fs.StringVar(&f.secret, "cluster-secret", "", "shared secret of the cluster's members (mutual TLS); default $ALSO_CLUSTER_SECRET; never logged")
}

func (f *clusterFlags) node() cluster.NodeConfig {
	secret := f.secret
	if secret == "" {
		secret = os.Getenv("ALSO_CLUSTER_SECRET")
	}
	return cluster.NodeConfig{Cluster: f.name, Listen: f.listen, Peers: cluster.ParsePeers(f.peers), Etcd: cluster.ParsePeers(f.etcd), Secret: secret}
}

// openShared opens the cluster's shared store and its LLM rate limits, both in its Redis: Redis
// itself, not the local mirror a single machine uses, so an episode a worker stored is there for
// every member (and a member that dies takes nothing with it), and the members together keep
// one rate budget.
func openShared(ctx context.Context, redisURL string) (store.Store, *cluster.RedisRate, error) {
	if redisURL == "" {
		redisURL = os.Getenv("REDIS_OM_URL")
	}
	if redisURL == "" {
		return nil, nil, usage(errors.New("cluster mode needs the shared store: give --redis-url (or set REDIS_OM_URL)"))
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := store.OpenRedis(dctx, redisURL)
	if err != nil {
		return nil, nil, err
	}
	rates, err := cluster.NewRedisRate(redisURL)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, rates, nil
}

// applyCluster turns a run into a cluster run when --cluster is given: the coordinator places
// the episodes on workers, and the store is Redis. close must be called after the run.
func (f *clusterFlags) applyCluster(ctx context.Context, cfg config.Run, opt *session.Options) (close func(), err error) {
	if f.name == "" {
		for _, set := range []string{f.peers, f.secret, f.etcd} {
			if set != "" {
				return nil, usage(errors.New("--peers, --etcd and --cluster-secret need --cluster"))
			}
		}
		return func() {}, nil
	}
	node := f.node()
	if err := node.Validate(); err != nil {
		return nil, usage(err)
	}
	st, rates, err := openShared(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	co := &cluster.Coordinator{Node: node}
	opt.Store = &waitForTag{Store: st, warn: os.Stderr, wait: 45 * time.Second}
	opt.Dispatch = co
	opt.LLM.Shared = rates
	return func() {
		co.Close()
		rates.Close()
		if err := st.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "also: closing the store:", err)
		}
	}, nil
}

// waitForTag is the coordinator's store: a tag lock still held by a coordinator that died is
// freed by Redis within 30 s (the lock's expiry), so a restarted coordinator (--resume) waits
// for it instead of failing; a lock renewed all along (a live run) still refuses after wait.
type waitForTag struct {
	store.Store
	warn io.Writer
	wait time.Duration
}

func (w *waitForTag) LockTag(ctx context.Context, tag string) (func(), error) {
	deadline := time.Now().Add(w.wait)
	warned := false
	for {
		release, err := w.Store.LockTag(ctx, tag)
		if err == nil || !strings.Contains(err.Error(), "is being written by another run") || time.Now().After(deadline) {
			return release, err
		}
		if !warned {
			fmt.Fprintf(w.warn, "also: %v; waiting up to %s for it to be released or expire (a coordinator that died frees it within 30 s)\n", err, w.wait)
			warned = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
