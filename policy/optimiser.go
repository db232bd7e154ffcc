package policy

import (
	"crypto/md5"
	"errors"
	"regexp"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Optimiser is the LLM that population policies (OPRO, EvoPrompt, PromptBreeder) ask for new arm
// texts: one prompt in, Samples candidate texts out. Implementations: the llm layer in a live
// run, sotopia/sim's offline optimiser in the simulated world, fakes in tests. It is injected so
// that policies stay pure state machines.
type Optimiser interface {
	Propose(req OptimiserRequest) ([]string, error)
}

// OptimiserFunc adapts a function to Optimiser.
type OptimiserFunc func(OptimiserRequest) ([]string, error)

// Propose calls f.
func (f OptimiserFunc) Propose(req OptimiserRequest) ([]string, error) { return f(req) }

// OptimiserRequest is one optimiser call as the artifact makes it: one user message, a
// temperature, and n samples (OPRO asks for 5 at once; the others for 1).
type OptimiserRequest struct {
	// Operator names the step asking (opro, evoprompt-ga, evoprompt-de, promptbreeder-mutation,
	// promptbreeder-hypermutation), for logs and usage records.
	Operator    string
	Turn        int // the turn after which the policy evolves
	Prompt      string
	Temperature float64
	Samples     int
}

// ErrOptimiserStop marks an optimiser error that must end the run (budget spent, run cancelled):
// a policy returns it from Select. Any other optimiser error is recorded in the policy's events
// and the population keeps its members.
var ErrOptimiserStop = errors.New("optimiser stopped")

// Embedder returns the embedding of an arm text; population policies embed every text they
// create (the context features and reports need it), with the same embedder as the seed arms.
type Embedder func(text string) ([]float64, error)

// OptimiserEvent and Rejection are the records of optimiser steps (defined in sotopia, where
// the episode log keeps them).
type (
	OptimiserEvent = sotopia.OptimiserEvent
	Rejection      = sotopia.Rejection
)

// Evolving is a policy whose arms change during the episode. The episode loop asks it, after
// every Select, for the text of the chosen arm and records its events.
type Evolving interface {
	Policy
	// Members is the current population, in order (copies).
	Members() []Member
	// Member finds any arm the policy has held, current or replaced, by index.
	Member(index int) (Member, bool)
	// DrainEvents returns the optimiser events since the last call.
	DrainEvents() []OptimiserEvent
}

var (
	bioTag         = regexp.MustCompile(`(?s)<BIO>(.*?)</BIO>`)
	bioTagFold     = regexp.MustCompile(`(?is)<BIO>(.*?)</BIO>`)
	evoBioPrefixes = regexp.MustCompile(`(?i)^\s*(?:\d+\.\s*)?(?:final\s+bio|new\s+bio|improved\s+bio|bio)\s*:\s*`)
)

// parseOPROAnswer is opro_bandit's parser: the <BIO>...</BIO> content, stripped; without tags
// the whole reply if it is 10 to 1000 characters.
func parseOPROAnswer(s string) (string, string) {
	if m := bioTag.FindStringSubmatch(s); m != nil {
		if t := strings.TrimSpace(m[1]); t != "" {
			return t, ""
		}
		return "", "empty <BIO></BIO>"
	}
	t := strings.TrimSpace(s)
	if n := len([]rune(t)); n < 10 || n > 1000 {
		return "", "no <BIO> tag and not 10 to 1000 characters"
	}
	return t, ""
}

// parseEvoAnswer is EvoPrompt's parser: <BIO> tags in any case, else the reply with a leading
// "Bio:"-style label removed; replies under 10 characters are rejected and children under 20
// dropped (evoprompt_bandit.py _is_valid_bio).
func parseEvoAnswer(s string) (string, string) {
	t := ""
	if m := bioTagFold.FindStringSubmatch(s); m != nil {
		t = strings.TrimSpace(m[1])
	} else {
		if len([]rune(strings.TrimSpace(s))) < 10 {
			return "", "reply under 10 characters"
		}
		t = strings.TrimSpace(evoBioPrefixes.ReplaceAllString(strings.TrimSpace(s), ""))
	}
	if len([]rune(t)) < 20 {
		return "", "bio under 20 characters"
	}
	return t, ""
}

// parsePromptBreederAnswer is the progressive PromptBreeder's rule: the stripped reply, if it is
// longer than 10 characters.
func parsePromptBreederAnswer(s string) (string, string) {
	t := strings.TrimSpace(s)
	if len([]rune(t)) <= 10 {
		return "", "reply of 10 characters or fewer"
	}
	return t, ""
}

// textKey is the artifact's de-duplication key (MD5 of the text).
func textKey(s string) [16]byte { return md5.Sum([]byte(s)) }
