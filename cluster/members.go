package cluster

import (
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/also-project/also/messages"
)

// peersProvider is the default membership (protocluster.ClusterProvider): no external service,
// like protoactor's automanaged provider, but over the members' own remote endpoints (so it
// binds nothing more, and a cluster secret covers it too). Every member pings its --peers and
// every member it has heard of each refresh; a member that answered, or pinged us, within the
// TTL is alive. The alive set goes to protoactor's MemberList, which publishes ClusterTopology
// events (joined, left) that the coordinator schedules by. A worker only needs one peer's
// address: the coordinator learns it from its pings. A member that leaves is blocked by
// protoactor for good; a restarted process joins again under a new id.
type peersProvider struct {
	name    string
	peers   []string
	kinds   []string
	refresh time.Duration
	ttl     time.Duration
	spawn   func(*actor.ActorSystem) error

	cl     *protocluster.Cluster
	self   messages.ClusterMember
	mu     sync.Mutex
	known  map[string]*peerState // by address host:port
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
}

type peerState struct {
	member   messages.ClusterMember // ID empty until it answered or pinged
	lastSeen time.Time
}

const membersActor = "also-members"

func (p *peersProvider) StartMember(c *protocluster.Cluster) error { return p.start(c) }
func (p *peersProvider) StartClient(c *protocluster.Cluster) error { return p.start(c) }

func (p *peersProvider) start(c *protocluster.Cluster) error {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return err
	}
	p.cl = c
	if p.spawn != nil {
		if err := p.spawn(c.ActorSystem); err != nil {
			return err
		}
	}
	p.self = messages.ClusterMember{ID: c.ActorSystem.ID, Host: host, Port: port, Kinds: p.kinds}
	p.known = map[string]*peerState{}
	for _, a := range p.peers {
		if a != addr(p.self) {
			p.known[a] = &peerState{}
		}
	}
	p.stop = make(chan struct{})
	props := actor.PropsFromFunc(p.receive)
	if _, err := c.ActorSystem.Root.SpawnNamed(props, membersActor); err != nil {
		return err
	}
	p.publish()
	p.wg.Add(1)
	go p.loop()
	return nil
}

func (p *peersProvider) Shutdown(bool) error {
	p.closed.Do(func() {
		if p.stop != nil {
			close(p.stop)
		}
	})
	p.wg.Wait()
	return nil
}

// receive answers pings: the pinger is alive, and learns whom we see.
func (p *peersProvider) receive(c actor.Context) {
	ping, ok := unwire(c.Message()).(*messages.MemberPing)
	if !ok {
		return
	}
	if ping.Cluster != p.name {
		return // another cluster on the same network: not ours to answer
	}
	p.seen(ping.From, time.Now())
	c.Respond(wire(&messages.MemberPong{Cluster: p.name, Members: p.alive(time.Now())}))
}

func (p *peersProvider) loop() {
	defer p.wg.Done()
	t := time.NewTicker(p.refresh)
	defer t.Stop()
	for {
		p.pingAll()
		p.publish()
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

func (p *peersProvider) pingAll() {
	p.mu.Lock()
	targets := make([]string, 0, len(p.known))
	for a := range p.known {
		targets = append(targets, a)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.ping(a)
		}()
	}
	wg.Wait()
}

func (p *peersProvider) ping(address string) {
	pid := actor.NewPID(address, membersActor)
	res, err := p.cl.ActorSystem.Root.RequestFuture(pid, wire(&messages.MemberPing{Cluster: p.name, From: p.self}), p.refresh*2).Result()
	if err != nil {
		return
	}
	pong, ok := unwire(res).(*messages.MemberPong)
	if !ok || pong.Cluster != p.name {
		return
	}
	now := time.Now()
	for _, m := range pong.Members {
		if addr(m) == address {
			p.seen(m, now)
		} else {
			p.heardOf(m)
		}
	}
}

// seen marks m alive now (a new process on a known address replaces the old one).
func (p *peersProvider) seen(m messages.ClusterMember, now time.Time) {
	if m.ID == p.self.ID {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known[addr(m)] = &peerState{member: m, lastSeen: now}
}

// heardOf adds m to the members to ping, without vouching that it is alive.
func (p *peersProvider) heardOf(m messages.ClusterMember) {
	if m.ID == p.self.ID || addr(m) == addr(p.self) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.known[addr(m)]; !ok {
		p.known[addr(m)] = &peerState{}
	}
}

// alive lists the members seen within the TTL, self first; it forgets members not seen for
// long that are not --peers (they may come back only by pinging us).
func (p *peersProvider) alive(now time.Time) []messages.ClusterMember {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []messages.ClusterMember{p.self}
	for a, s := range p.known {
		switch {
		case s.member.ID != "" && now.Sub(s.lastSeen) <= p.ttl:
			out = append(out, s.member)
		case now.Sub(s.lastSeen) > 10*p.ttl && !slices.Contains(p.peers, a):
			delete(p.known, a)
		}
	}
	sort.Slice(out[1:], func(i, j int) bool { return out[1+i].ID < out[1+j].ID })
	return out
}

// publish hands the alive set to protoactor's member list (which diffs it into topology events).
func (p *peersProvider) publish() {
	var members protocluster.Members
	for _, m := range p.alive(time.Now()) {
		members = append(members, &protocluster.Member{Id: m.ID, Host: m.Host, Port: int32(m.Port), Kinds: m.Kinds})
	}
	p.cl.MemberList.UpdateClusterTopology(members)
}

func addr(m messages.ClusterMember) string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}
