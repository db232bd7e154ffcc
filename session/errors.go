package session

import (
	"context"
	"fmt"
	"strings"
)

// Errors by what a caller (the CLI's exit code) should make of them. Anything else is a
// runtime failure: the store, the disk, the network once the run was under way.

// ConfigError is a run refused before it started because of what it was asked to do: an invalid
// setting, an unknown or duplicate task, a missing key, a tag bound to another configuration.
// Retrying the same command cannot help.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func refuse(err error) error {
	if err == nil {
		return nil
	}
	return &ConfigError{Err: err}
}

// EndpointError is a model endpoint that failed its check before the first episode (wrong URL,
// key or model name, or the service is down). It names the endpoint, never the key.
type EndpointError struct {
	Roles []string // e.g. "p1_model", "reward_eval_model"
	Model string
	Err   error
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("endpoint check failed for %s (%s): %v; no episode was started", e.Model, strings.Join(e.Roles, ", "), e.Err)
}
func (e *EndpointError) Unwrap() error { return e.Err }

// InterruptedError is a run cut by cancellation (SIGINT/SIGTERM). Finished episodes are stored;
// the ones cut short are recorded as interrupted and --resume runs them again.
type InterruptedError struct {
	Tag   string
	Cause error
	// Advice replaces the --resume advice (an experiment continues by being rerun).
	Advice string
}

func (e *InterruptedError) Error() string {
	if e.Advice != "" {
		return fmt.Sprintf("run interrupted: %v (%s)", e.Cause, e.Advice)
	}
	return fmt.Sprintf("run interrupted: %v (finished episodes are stored under tag %s; rerun with --resume --tag %s)", e.Cause, e.Tag, e.Tag)
}
func (e *InterruptedError) Unwrap() error { return context.Canceled }

// IncompleteError is a run that finished without a done episode for every task it planned:
// some failed after their retries, or the budget stopped it before they started.
type IncompleteError struct {
	Tag                               string
	Planned, Done, Failed, NotStarted int
	Stopped                           string
	// Advice replaces the --resume advice (an experiment continues by being rerun).
	Advice string
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	if e.Done == 0 {
		fmt.Fprintf(&b, "no task succeeded: ")
	} else {
		fmt.Fprintf(&b, "%d of %d tasks done: ", e.Done, e.Planned)
	}
	var parts []string
	if e.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed after their retries (their errors are in episodes.jsonl and `also eval --tag %s`)", e.Failed, e.Tag))
	}
	if e.NotStarted > 0 {
		reason := ""
		if e.Stopped != "" {
			reason = " (" + e.Stopped + ")"
		}
		parts = append(parts, fmt.Sprintf("%d not started%s", e.NotStarted, reason))
	}
	b.WriteString(strings.Join(parts, "; "))
	if e.Advice != "" {
		fmt.Fprintf(&b, "; %s", e.Advice)
	} else {
		fmt.Fprintf(&b, "; --resume --tag %s runs what is missing", e.Tag)
	}
	return b.String()
}

// NothingSucceeded reports whether no planned task has a done episode.
func (e *IncompleteError) NothingSucceeded() bool { return e.Done == 0 }
