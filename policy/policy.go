// Package policy holds the bandits and prompt optimisers that choose a seat's social strategy each
// turn. Every policy is a deterministic state machine: Update with feedback, Select the next arm.
// No actors, no I/O, no clock; randomness only from the injected *rand.Rand. The prompt optimisers
// (opro, evoprompt-*, promptbreeder) also write new arm texts through an injected Optimiser and
// Embedder (Params) and expose them as Evolving policies.
package policy

import (
	"fmt"
	"github.com/also-project/also/policy/arms"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/also-project/also/nn"
)

// The policy's vocabulary is defined in package arms (plain data, so the actors' protocol can
// carry it without importing the policies and their neural networks).
type (
	Arm      = arms.Arm
	Feedback = arms.Feedback
	Choice   = arms.Choice
	Member   = arms.Member
)

// Policy chooses arms.
type Policy interface {
	Name() string
	// Update records the reward observed for the arm that was active.
	Update(fb Feedback) error
	// Select chooses the arm for the next turn, given the current context (nil when disabled).
	Select(turn int, context []float64) (Choice, error)
}

// Params builds a policy.
type Params struct {
	Arms   []Arm
	Rand   *rand.Rand
	Config Config
	// Pool runs the neural policies' surrogate training (also, instinct, neural_ucb) on a bounded
	// set of workers with reused buffers; share one across all policies of a run. Nil gives each
	// neural policy a private one-worker pool (fine for tests, wasteful for many bandits).
	Pool *nn.Pool
	// Optimiser writes new arm texts and Embed embeds them; only the population policies use
	// them (and need both).
	Optimiser Optimiser
	Embed     Embedder
}

// Constructor builds one kind of policy.
type Constructor func(Params) (Policy, error)

// Info describes a registered policy for help texts and the README table.
type Info struct {
	Name       string
	Aliases    []string
	Summary    string
	Parameters string
	Source     string
	// Retrains says the policy fits a network in Select, the step Config.UpdateInterval spaces
	// out; the others learn in every Update.
	Retrains bool
	New      Constructor
}

// registry lists every policy. Keep it sorted by name; aliases resolve to the same entry.
func registry() []Info {
	return []Info{
		{Name: "also", Aliases: []string{"adversarial"}, Summary: "ALSO: softmax over decayed sums of a retrained neural surrogate's reward predictions", Parameters: "eta, epsilon, also.*", Source: "ALSO (ICML 2026); also-method.md 1", Retrains: true, New: newALSO},
		{Name: "eps-greedy", Aliases: []string{"epsilon-greedy"}, Summary: "sample-average epsilon-greedy, random tie-breaking", Parameters: "epsilon", Source: "Sutton & Barto 2018, sec. 2.2-2.4", New: newEpsGreedy},
		{Name: "evoprompt-de", Aliases: []string{"evoprompt_de"}, Summary: "EvoPrompt DE: LLM differential mutation of donors around the best, greedy replacement after one played turn", Parameters: "population_size, evolution_interval, --optimizer-model", Source: "Guo et al. 2024 (EvoPrompt); also-method.md 2.6", New: newEvoDE},
		{Name: "evoprompt-ga", Aliases: []string{"evoprompt_ga", "evoprompt"}, Summary: "EvoPrompt GA: roulette parents, LLM crossover + mutation replaces the worst unprotected member", Parameters: "population_size, evolution_interval, --optimizer-model", Source: "Guo et al. 2024 (EvoPrompt); also-method.md 2.6", New: newEvoGA},
		{Name: "exp3", Summary: "Exp3: exponential weights with gamma mixing, importance-weighted rewards", Parameters: "gamma (0 = tuned to horizon)", Source: "Auer, Cesa-Bianchi, Freund, Schapire 2002, Fig. 1, Cor. 3.2", New: newExp3},
		{Name: "exp3-ix", Aliases: []string{"exp3ix"}, Summary: "Exp3 with implicit exploration (loss / (p + gamma))", Parameters: "horizon (eta, gamma tuned)", Source: "Neu 2015, Alg. 1, Thm. 1", New: newExp3IX},
		{Name: "instinct", Summary: "the artifact's neural_ucb: ReLU net retrained each turn, sigma = sqrt(nu)*||g|| (U reset at each training), argmax", Parameters: "alpha (lambda), beta (nu), ucb_context_embedding", Source: "also-method.md 2.2 (the paper's Instinct column: inferred)", Retrains: true, New: newInstinct},
		{Name: "linucb", Summary: "LinUCB, shared theta on arm embeddings, exact K x K Gram-space updates", Parameters: "alpha", Source: "Li, Chu, Langford, Schapire 2010, Alg. 1; also-method.md 2.4", New: newLinUCB},
		{Name: "neural_ucb", Aliases: []string{"neuralucb"}, Summary: "NeuralUCB with a persistent diagonal design matrix, retrained from a fixed theta_0", Parameters: "alpha (lambda), beta (nu), ucb_context_embedding", Source: "Zhou, Li, Gu 2020, Alg. 1 (diagonal approximation)", Retrains: true, New: newNeuralUCB},
		{Name: "opro", Summary: "OPRO: LLM optimiser shown the scored history (ascending, top-k), n samples, de-duplicated, keeps the best", Parameters: "population_size, evolution_interval, opro.*, --optimizer-model", Source: "Yang et al. 2024 (OPRO); also-method.md 2.5", New: newOPRO},
		{Name: "promptbreeder", Aliases: []string{"progressive_prompt_breeder", "prompt_breeder"}, Summary: "Promptbreeder: binary tournament, mutation prompts + thinking styles, hyper-mutation of mutation prompts", Parameters: "population_size, evolution_interval, --optimizer-model", Source: "Fernando et al. 2024 (Promptbreeder); also-method.md 2.7", New: newPromptBreeder},
		{Name: "random", Summary: "uniform random arm every turn", Source: "baseline", New: newRandom},
		{Name: "static", Summary: "no optimisation: always arm static_arm (0, no strategy, is the paper's Original)", Parameters: "static_arm", Source: "ALSO paper, Original column", New: newStatic},
		{Name: "thompson", Aliases: []string{"ts"}, Summary: "Beta-Bernoulli Thompson sampling with Bernoulli trials on [0,1] rewards", Source: "Agrawal & Goyal 2012, Alg. 2", New: newThompson},
		{Name: "ucb1", Aliases: []string{"ucb"}, Summary: "UCB1: each arm once, then mean + sqrt(2 ln n / n_i)", Source: "Auer, Cesa-Bianchi, Fischer 2002, Fig. 1", New: newUCB1},
	}
}

// Names lists the registered policy names (not aliases), sorted.
func Names() []string {
	var out []string
	for _, in := range registry() {
		out = append(out, in.Name)
	}
	sort.Strings(out)
	return out
}

// Lookup finds a policy by name or alias.
func Lookup(name string) (Info, error) {
	for _, in := range registry() {
		if in.Name == name {
			return in, nil
		}
		for _, a := range in.Aliases {
			if a == name {
				return in, nil
			}
		}
	}
	return Info{}, fmt.Errorf("unknown bandit type %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// ReadsContext says whether the named policy uses the dialogue embedding under cfg, so the
// runner embeds the dialogue after every turn only when someone reads it (in a live run that is
// one embedding call per turn).
func ReadsContext(name string, cfg Config) bool {
	in, err := Lookup(name)
	if err != nil {
		return false
	}
	switch in.Name {
	case "also":
		return cfg.ALSO.UseContext
	case "instinct", "neural_ucb":
		return cfg.UCBContext
	}
	return false
}

// New builds a policy by name.
func New(name string, p Params) (Policy, error) {
	in, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if len(p.Arms) == 0 {
		return nil, fmt.Errorf("%s: no arms", name)
	}
	if p.Rand == nil {
		return nil, fmt.Errorf("%s: no random source", name)
	}
	if err := p.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return in.New(p)
}
