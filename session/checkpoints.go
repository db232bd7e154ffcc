package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/config"
	"github.com/also-project/also/internal/atomicfile"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// policyCarry builds the run's policy carry from --policy-in / --policy-out (nil when neither
// is set): the optimised seats' starting checkpoints are read, and the output files are checked
// not to exist yet, before anything runs.
func policyCarry(cfg config.Run, optimised [sotopia.Seats]bool, strategies []sotopia.Strategy) (*actors.PolicyCarry, error) {
	if cfg.PolicyIn == "" && cfg.PolicyOut == "" {
		return nil, nil
	}
	if !optimised[0] && !optimised[1] {
		return nil, errors.New("policy_in / policy_out (--policy-in, --policy-out): no seat is optimised (--optimize), so there is no policy to load or save")
	}
	carry := &actors.PolicyCarry{Strategy: cfg.StrategyVersion, Strategies: strategies, Freeze: cfg.PolicyFreeze}
	for seat, on := range optimised {
		if !on {
			continue
		}
		if cfg.PolicyIn != "" {
			file := filepath.Join(cfg.PolicyIn, config.PolicyCheckpointFile(seat))
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("policy_in: seat p%d is optimised: %w", seat+1, err)
			}
			cp, err := policy.ParseCheckpoint(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			carry.Set(seat, cp)
			if err := carry.Check(cfg.Bandit); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		}
		if cfg.PolicyOut != "" {
			file := filepath.Join(cfg.PolicyOut, config.PolicyCheckpointFile(seat))
			if _, err := os.Stat(file); err == nil {
				return nil, fmt.Errorf("policy_out: %s already exists; a checkpoint is never replaced, choose another --policy-out", file)
			}
		}
	}
	return carry, nil
}

// refuseCarriedResume refuses a resume that skips stored episodes while the policy carries
// state from episode to episode (--policy-out, or --policy-in without --policy-freeze): the skipped
// episodes' learnt state is not stored, so the carried state would differ. A resume that skips
// nothing (an experiment cell's first run) is an ordinary run; one that has nothing left to run
// changes nothing.
func refuseCarriedResume(cfg config.Run, carry *actors.PolicyCarry, skipped, left int) error {
	if carry == nil || skipped == 0 || left == 0 || (cfg.PolicyOut == "" && cfg.PolicyFreeze) {
		return nil
	}
	return refuse(fmt.Errorf("resume skips %d stored episodes of tag %s, but the policy carries state (--policy-out, or --policy-in without --policy-freeze): the skipped episodes' learnt state is not stored, so the carried state would differ; run under a new tag", skipped, cfg.Tag))
}

// writePolicyOut writes each optimised seat's final checkpoint into --policy-out (never
// replacing a file). A seat whose policy never finished an episode has nothing to write.
func writePolicyOut(cfg config.Run, carry *actors.PolicyCarry, optimised [sotopia.Seats]bool, logf func(string, ...any)) error {
	if carry == nil || cfg.PolicyOut == "" {
		return nil
	}
	if err := os.MkdirAll(cfg.PolicyOut, 0o755); err != nil {
		return fmt.Errorf("policy_out: %w", err)
	}
	for seat, on := range optimised {
		if !on {
			continue
		}
		cp, ok := carry.Get(seat)
		if !ok {
			logf("policy_out: seat p%d finished no episode, no checkpoint written", seat+1)
			continue
		}
		data, err := cp.Marshal()
		if err != nil {
			return fmt.Errorf("policy_out: seat p%d: %w", seat+1, err)
		}
		file := filepath.Join(cfg.PolicyOut, config.PolicyCheckpointFile(seat))
		if err := atomicfile.WriteNewFile(file, data, 0o644); err != nil {
			return fmt.Errorf("policy_out: %w", err)
		}
		logf("policy checkpoint of seat p%d written to %s", seat+1, file)
	}
	return nil
}
