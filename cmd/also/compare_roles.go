package main

import (
	"fmt"
	"io"

	"github.com/also-project/also/config"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
)

// The roles compare --transfer and --strategies give each tag are read from the configuration the
// tag is bound to, so a table can never label a run with a mode or arm it did not play.

// roleOf is the tag's config.Role; layout names the table that needs it.
func roleOf(t loadedTag, layout string) (config.Role, error) {
	if t.Config == nil {
		return config.Role{}, fmt.Errorf("tag %s: its configuration is not recorded (imported episodes?), so %s cannot tell its role", t.Tag, layout)
	}
	rs, err := config.BoundRole(t.Config.Config)
	if err != nil {
		return rs, fmt.Errorf("tag %s: %w", t.Tag, err)
	}
	return rs, nil
}

// transferMode is a tag's generalisation mode: no checkpoint is the cold start.
func transferMode(rs config.Role) string {
	switch {
	case rs.PolicyIn == "":
		return report.ModeBaseline
	case rs.PolicyFreeze:
		return report.ModeTest
	}
	return report.ModeFinetune
}

func writeTransfer(w io.Writer, tags []loadedTag, evalSet, format string, ds *sotopia.Dataset) error {
	modes := make([]string, len(tags))
	for i, t := range tags {
		rs, err := roleOf(t, "--transfer")
		if err != nil {
			return usage(err)
		}
		modes[i] = transferMode(rs)
	}
	tt, err := report.Transfer(episodesOf(tags), modes, evalSet, ds)
	if err != nil {
		return usage(fmt.Errorf("--transfer: %w", err))
	}
	return report.WriteTransfer(w, tt, format)
}

func writeStrategies(w io.Writer, tags []loadedTag, evalSet, format string, ds *sotopia.Dataset) error {
	arms := make([]report.StrategyArm, len(tags))
	var firstVersion string // arm indices are comparable within one pool
	for i, t := range tags {
		rs, err := roleOf(t, "--strategies")
		if err != nil {
			return usage(err)
		}
		if !policy.HoldsArm(rs.Bandit) || rs.Optimize == "none" {
			return usage(fmt.Errorf("--strategies: tag %s ran bandit_type %q with optimize %q, not a static arm held by an optimised seat", t.Tag, rs.Bandit, rs.Optimize))
		}
		pool, err := sotopia.Strategies(rs.StrategyVersion)
		if err != nil {
			return fmt.Errorf("tag %s: %w", t.Tag, err)
		}
		arm := rs.Policy.StaticArm
		if arm < 0 || arm >= len(pool) {
			return fmt.Errorf("tag %s: static_arm %d outside its pool %s (%d arms)", t.Tag, arm, rs.StrategyVersion, len(pool))
		}
		if i == 0 {
			firstVersion = rs.StrategyVersion
		} else if firstVersion != rs.StrategyVersion {
			return usage(fmt.Errorf("--strategies: tags %s and %s use arm pools %s and %s: arm indices are comparable within one pool", tags[0].Tag, t.Tag, firstVersion, rs.StrategyVersion))
		}
		arms[i] = report.StrategyArm{Index: arm, Name: pool[arm].Name}
	}
	st, err := report.Strategies(episodesOf(tags), arms, evalSet, ds)
	if err != nil {
		return usage(fmt.Errorf("--strategies: %w", err))
	}
	return report.WriteStrategies(w, st, format)
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
