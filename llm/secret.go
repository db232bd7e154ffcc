package llm

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

const redacted = "[REDACTED]"

// Patterns that look like credentials whatever their origin: an Authorization header or bearer
// token (a server or proxy may echo the request), and common key prefixes (OpenAI "sk-...",
// OpenRouter "sk-or-v1-...").
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(authorization\s*[:=]\s*)("?)[^\s",]+(\s+[^\s",]+)?`),
	regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+`),
	regexp.MustCompile(`\bsk-[A-Za-z0-9_\-]{8,}`),
}

// Scrubber removes known secret values and credential-looking text from strings that may
// leave the process (errors, logs).
type Scrubber struct {
	mu      sync.RWMutex
	secrets []string
}

// Add registers secret values to remove. The placeholder key of local servers is not a secret.
func (s *Scrubber) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if v == "" || v == CustomDefaultKey {
			continue
		}
		dup := false
		for _, have := range s.secrets {
			if have == v {
				dup = true
				break
			}
		}
		if !dup {
			s.secrets = append(s.secrets, v)
		}
	}
	// Longest first, so a key that contains another is removed whole.
	sort.Slice(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
}

// Scrub returns text with every registered secret and credential-looking token replaced.
func (s *Scrubber) Scrub(text string) string {
	s.mu.RLock()
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, redacted)
	}
	s.mu.RUnlock()
	return ScrubPatterns(text)
}

// ScrubPatterns removes credential-looking text (no knowledge of the actual keys needed).
func ScrubPatterns(text string) string {
	text = secretPatterns[0].ReplaceAllString(text, "${1}${2}"+redacted)
	text = secretPatterns[1].ReplaceAllString(text, "Bearer "+redacted)
	return secretPatterns[2].ReplaceAllString(text, redacted)
}
