package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/also-project/also/session"
)

// Exit codes a script can trust (documented in `also run --help` and the README).
const (
	exitOK          = 0
	exitError       = 1   // the command could not do its work: store, disk, network, a failed endpoint check
	exitUsage       = 2   // bad flag, argument, subcommand, run file or configuration; a tag bound to another configuration
	exitIncomplete  = 3   // the run finished, but some tasks have no done episode (failed after retries, or not started: budget)
	exitNoneDone    = 4   // the run finished and no task succeeded
	exitInterrupted = 130 // SIGINT or SIGTERM: finished episodes are stored, --resume runs the rest
)

const exitCodesHelp = `Exit codes: 0 every task done; 1 error (store, disk, network, an endpoint that failed its
check before the first episode); 2 usage or configuration error (bad flag or value, unknown
subcommand, duplicate task, a tag bound to another configuration); 3 finished, but some tasks
failed after their retries or were not started (budget); 4 finished, no task succeeded;
130 interrupted by SIGINT or SIGTERM (finished episodes are stored; --resume runs the rest).`

// usageError marks an error as the user's command line being wrong (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err: err}
}

// exitCode maps how a command ended to the process exit code.
func exitCode(ctx context.Context, err error) int {
	var (
		ue  *usageError
		ce  *session.ConfigError
		ie  *session.InterruptedError
		inc *session.IncompleteError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ie) || ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, &ue) || errors.As(err, &ce):
		return exitUsage
	case errors.As(err, &inc):
		if inc.NothingSucceeded() {
			return exitNoneDone
		}
		return exitIncomplete
	}
	return exitError
}

// strictUsage makes every command of the tree report command-line mistakes as usage errors: bad
// flags, bad arguments, and unknown or missing subcommands of command groups (cobra would print
// the group's help and exit 0, so a mistyped `also bench nope` looked like success).
func strictUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() && !c.Runnable() {
			requireSubcommand(c)
		} else if c.Args != nil {
			check := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error { return usage(check(cmd, args)) }
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// requireSubcommand makes a command group fail on an unknown or missing subcommand.
func requireSubcommand(group *cobra.Command) {
	group.Args = cobra.ArbitraryArgs
	group.RunE = func(cmd *cobra.Command, args []string) error {
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if len(args) == 0 {
			cmd.SetOut(cmd.ErrOrStderr())
			_ = cmd.Help()
			return usage(fmt.Errorf("%s needs a command: %s", cmd.CommandPath(), strings.Join(names, ", ")))
		}
		return usage(fmt.Errorf("unknown command %q for %q (commands: %s; see %s --help)", args[0], cmd.CommandPath(),
			strings.Join(names, ", "), cmd.CommandPath()))
	}
}
