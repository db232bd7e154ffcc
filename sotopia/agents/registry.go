package agents

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/also-project/also/sotopia"
)

// Episode is what a registered agent's factory learns about the episode it plays in.
type Episode struct {
	Seat  int
	Arg   string // the text after "NAME:" in the setting
	Setup *sotopia.Setup
	Seed  int64
}

// Factory builds a registered agent for one episode. It is called once per episode and seat;
// the agent it returns is used by one actor only.
type Factory func(ep Episode) (sotopia.Agent, error)

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

// Register makes NAME (and NAME:ARG) a seat-agent setting. It fails for a built-in kind, a name
// already taken, a name with ':' or an empty name.
func Register(name string, f Factory) error {
	switch name {
	case "", KindLLM, KindScripted, KindScript, KindSwitch:
		return fmt.Errorf("agents: cannot register %q: empty or a built-in kind", name)
	}
	if strings.ContainsAny(name, ": \t") || f == nil {
		return fmt.Errorf("agents: cannot register %q: names have no ':' or spaces and need a factory", name)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, ok := registry.m[name]; ok {
		return fmt.Errorf("agents: %q is already registered", name)
	}
	registry.m[name] = f
	return nil
}

func lookup(name string) (Factory, bool) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.m[name]
	return f, ok
}

func registeredList() string {
	registry.RLock()
	defer registry.RUnlock()
	var names []string
	for n := range registry.m {
		names = append(names, n)
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return ": " + strings.Join(names, ", ")
}

// Build makes the agent of a registered kind for one episode.
func (s Spec) Build(ep Episode) (sotopia.Agent, error) {
	f, ok := lookup(s.Kind)
	if !ok {
		return nil, fmt.Errorf("agent %q is not registered", s.Kind)
	}
	ep.Arg = s.Arg
	a, err := f(ep)
	if err != nil {
		return nil, fmt.Errorf("agent %s of seat %d: %w", s, ep.Seat+1, err)
	}
	if a == nil {
		return nil, fmt.Errorf("agent %s of seat %d: factory returned no agent", s, ep.Seat+1)
	}
	return a, nil
}

// IsRegistered reports whether the spec names a registered (library) agent.
func (s Spec) IsRegistered() bool {
	_, ok := lookup(s.Kind)
	return ok && !s.IsLLM()
}
