package config

import (
	"encoding/json"
	"fmt"

	"github.com/also-project/also/sotopia"
)

// BoundPool is the strategy pool the arms of a tag's bound (stored) configuration index: its
// strategy_version, else the default pool (no configuration, e.g. imported episodes, or one
// recorded before the field existed). Errors are phrased about the tag's configuration, for the
// caller to prefix with the tag: naming arms from another pool would be silently wrong.
func BoundPool(bound json.RawMessage) ([]sotopia.Strategy, error) {
	version := sotopia.DefaultStrategyVersion
	if len(bound) > 0 {
		var doc struct {
			StrategyVersion *string `json:"strategy_version"`
		}
		if err := json.Unmarshal(bound, &doc); err != nil {
			return nil, fmt.Errorf("its stored configuration cannot be read: %w", err)
		}
		if doc.StrategyVersion != nil {
			version = *doc.StrategyVersion
		}
	}
	pool, err := sotopia.Strategies(version)
	if err != nil {
		return nil, fmt.Errorf("strategy_version %q of its configuration: %w", version, err)
	}
	return pool, nil
}

// Role is the part of a tag's bound configuration that decides what the tag played: its bandit
// and optimised seats, its arm pool and fixed arm, and the checkpoint it started from.
type Role struct {
	Bandit          string `json:"bandit_type"`
	Optimize        string `json:"optimize"`
	StrategyVersion string `json:"strategy_version"`
	PolicyIn        string `json:"policy_in"`
	PolicyFreeze    bool   `json:"policy_freeze"`
	Policy          struct {
		StaticArm int `json:"static_arm"`
	} `json:"policy"`
}

// BoundRole reads the Role of a tag's bound (stored) configuration. The error is phrased about
// the configuration, for the caller to prefix with the tag.
func BoundRole(bound json.RawMessage) (Role, error) {
	var r Role
	if err := json.Unmarshal(bound, &r); err != nil {
		return r, fmt.Errorf("bound configuration: %w", err)
	}
	return r, nil
}
