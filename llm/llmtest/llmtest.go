// Package llmtest is the test helper around llm/fakellm, the fake OpenAI-compatible server on
// loopback: NewServer starts one that is closed when the test ends. The types are aliases, so
// tests script replies and read requests exactly as with fakellm.
package llmtest

import (
	"testing"

	"github.com/also-project/also/llm/fakellm"
)

type (
	Server  = fakellm.Server
	Config  = fakellm.Config
	Reply   = fakellm.Reply
	Request = fakellm.Request
	Message = fakellm.Message
	Handler = fakellm.Handler
	Faults  = fakellm.Faults
)

// Request kinds and the endpoint-check header, as in fakellm.
const (
	KindChat       = fakellm.KindChat
	KindEmbeddings = fakellm.KindEmbeddings
	ProbeHeader    = fakellm.ProbeHeader
)

// HashVector is fakellm's default embedding of text.
func HashVector(text string, dim int) []float64 { return fakellm.HashVector(text, dim) }

// NewServer starts a server on loopback; it is closed when the test ends.
func NewServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s := fakellm.Start(cfg)
	tb.Cleanup(s.Close)
	return s
}
