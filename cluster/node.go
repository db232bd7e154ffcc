// Package cluster scales a run out over protoactor-go's cluster: `also worker` processes join a
// cluster and host work, and a coordinator (`also run --cluster`) places the run's task attempts
// on them, within each member's slots, through the cluster's membership (topology events). The
// unit placed is one task attempt, played on one member by the whole Episode actor tree (see
// README, Cluster). Workers store episodes straight into the shared Redis store.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/also-project/also/messages"
)

// Member kinds carried in the membership.
const (
	KindWorker      = "also-worker"
	KindCoordinator = "also-coordinator"
)

// NodeConfig starts one member.
type NodeConfig struct {
	Cluster string   // cluster name: members of other names are ignored
	Listen  string   // host:port of this member's endpoint (port 0 picks a free one)
	Peers   []string // host:port of members to join through
	// Etcd, when set, replaces Peers: membership is kept in this etcd cluster (host:port of its
	// client endpoints) by protoactor-go's etcd provider, under /also/<cluster name>.
	Etcd []string
	// Secret authenticates members to each other (mutual TLS keyed by it); required unless
	// Listen is a loopback address. Never logged.
	Secret string
	Kind   string
	// Refresh is the membership ping interval, TTL how long a silent member stays a member.
	Refresh, TTL time.Duration
}

// Validate names the first bad field.
func (c NodeConfig) Validate() error {
	if c.Cluster == "" {
		return errors.New("--cluster: a cluster name is required")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want HOST:PORT: %v", c.Listen, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--listen %q: bad port", c.Listen)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("--listen %s: name the address other members reach this one at (it is what they are told), not every interface", c.Listen)
	}
	if !isLoopback(host) && c.Secret == "" {
		return fmt.Errorf("--listen %s is not a loopback address: members across hosts must authenticate; give --cluster-secret or set ALSO_CLUSTER_SECRET (the same on every member)", c.Listen)
	}
	for _, p := range c.Peers {
		if _, _, err := net.SplitHostPort(p); err != nil {
			return fmt.Errorf("--peers %q: want HOST:PORT: %v", p, err)
		}
	}
	if len(c.Etcd) > 0 && len(c.Peers) > 0 {
		return errors.New("--etcd and --peers: give one (with --etcd the members find each other in etcd)")
	}
	for _, e := range c.Etcd {
		if _, _, err := net.SplitHostPort(e); err != nil {
			return fmt.Errorf("--etcd %q: want HOST:PORT of an etcd client endpoint: %v", e, err)
		}
	}
	return nil
}

// Node is a started member.
type Node struct {
	System  *actor.ActorSystem
	Cluster *protocluster.Cluster
	members *peersProvider // nil with etcd membership
}

// StartNode joins (or founds) the cluster; spawn, if set, spawns this member's actors once its
// endpoint listens (so their PIDs carry the address replies come back to) and before the member
// becomes visible to others (so no work arrives before them).
func StartNode(cfg NodeConfig, spawn func(*actor.ActorSystem) error) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 500 * time.Millisecond
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 6 * time.Second
	}
	registerCodec()
	host, portText, _ := net.SplitHostPort(cfg.Listen)
	port, _ := strconv.Atoi(portText)
	var ropts []remote.ConfigOption
	if cfg.Secret != "" {
		creds, err := secretCredentials(cfg.Secret)
		if err != nil {
			return nil, err
		}
		ropts = append(ropts, remote.WithServerOptions(grpc.Creds(creds)), remote.WithDialOptions(grpc.WithTransportCredentials(creds)))
	}
	var provider protocluster.ClusterProvider
	var peers *peersProvider
	var opts []protocluster.ConfigOption
	if len(cfg.Etcd) > 0 {
		if err := probeEtcd(cfg.Etcd); err != nil {
			return nil, err
		}
		ep, err := etcd.NewWithConfig("/also", clientv3.Config{Endpoints: cfg.Etcd, DialTimeout: 5 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("--etcd %s: %v", strings.Join(cfg.Etcd, ","), err)
		}
		provider = &etcdMembers{Provider: ep, spawn: spawn}
		// The etcd provider announces the cluster's kinds as the member's kinds; ours are plain
		// named actors, so the kind is registered only to be announced (nothing spawns it).
		opts = append(opts, protocluster.WithKinds(protocluster.NewKind(cfg.Kind, actor.PropsFromFunc(func(actor.Context) {}))))
	} else {
		peers = &peersProvider{name: cfg.Cluster, peers: cfg.Peers, kinds: []string{cfg.Kind}, refresh: cfg.Refresh, ttl: cfg.TTL, spawn: spawn}
		provider = peers
	}
	// The system is made last: an etcd that does not answer returns above without one to shut down.
	quiet := func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }
	system := actor.NewActorSystem(actor.WithLoggerFactory(quiet))
	ccfg := protocluster.Configure(cfg.Cluster, provider, disthash.New(), remote.Configure(host, port, ropts...), opts...)
	c := protocluster.New(system, ccfg)
	// protoactor panics when it cannot listen or start its provider; that is an error here.
	defer func() {
		if r := recover(); r != nil {
			system.Shutdown()
			n, err = nil, fmt.Errorf("cluster member on %s: %v", cfg.Listen, r)
		}
	}()
	c.StartMember()
	return &Node{System: system, Cluster: c, members: peers}, nil
}

// Address is this member's endpoint as others reach it.
func (n *Node) Address() string { return n.System.Address() }

// Members lists the members currently alive (this one included).
func (n *Node) Members() []messages.ClusterMember {
	if n.members != nil {
		return n.members.alive(time.Now())
	}
	var out []messages.ClusterMember
	for _, m := range n.Cluster.MemberList.Members().Members() {
		out = append(out, messages.ClusterMember{ID: m.Id, Host: m.Host, Port: int(m.Port), Kinds: m.Kinds})
	}
	return out
}

// Close leaves the cluster.
func (n *Node) Close() {
	if n.members != nil {
		n.members.Shutdown(false)
	}
	n.Cluster.Shutdown(false)
}

// probeEtcd asks etcd for a key within a few seconds: protoactor's provider waits forever on an
// unreachable etcd, which would leave a member hanging without a word.
func probeEtcd(endpoints []string) error {
	quiet := zap.NewNop()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 3 * time.Second, Logger: quiet})
	if err != nil {
		return fmt.Errorf("--etcd %s: %v", strings.Join(endpoints, ","), err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Get(ctx, "/also", clientv3.WithCountOnly()); err != nil {
		return fmt.Errorf("--etcd %s: etcd does not answer: %v", strings.Join(endpoints, ","), err)
	}
	return nil
}

// etcdMembers is protoactor-go's etcd provider, with this member's actors spawned before it
// registers (so no work arrives before them), as the peers provider does.
type etcdMembers struct {
	*etcd.Provider
	spawn func(*actor.ActorSystem) error
}

func (e *etcdMembers) StartMember(c *protocluster.Cluster) error {
	if e.spawn != nil {
		if err := e.spawn(c.ActorSystem); err != nil {
			return err
		}
	}
	return e.Provider.StartMember(c)
}

func (e *etcdMembers) StartClient(c *protocluster.Cluster) error {
	if e.spawn != nil {
		if err := e.spawn(c.ActorSystem); err != nil {
			return err
		}
	}
	return e.Provider.StartClient(c)
}

// ParsePeers splits a --peers list.
func ParsePeers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
