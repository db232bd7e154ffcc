package sotopia

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

//go:embed data/strategies/*.json
var strategyFS embed.FS

// Strategy is one social strategy (an arm's strategy part), as in the ALSO artifact's pools.
type Strategy struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Theory      string `json:"theory,omitempty"`
	Description string `json:"description"`
	Parent      string `json:"parent,omitempty"`
}

// DefaultStrategyVersion is the paper's arm pool.
const DefaultStrategyVersion = "v3"

// StrategySuffix is appended after every non-empty strategy description, verbatim from the
// reference artifact (also-method.md 1.2, including its grammatical slip: it is what gets embedded).
const StrategySuffix = " \n If you thinking this strategy is not helpful, please ignore it."

// StrategyVersions lists the available pools: files v1..v6, s6, s24, s48 and the named subsets.
func StrategyVersions() []string {
	out := []string{"v1", "v2", "v3", "v4", "v5", "v6", "s6", "s24", "s48"}
	subsets, _ := strategySubsets()
	var names []string
	for k := range subsets {
		names = append(names, k)
	}
	sort.Strings(names)
	return append(out, names...)
}

// Strategies loads a strategy pool by version; index 0 is always the no-strategy baseline.
func Strategies(version string) ([]Strategy, error) {
	if version == "" {
		version = DefaultStrategyVersion
	}
	b, err := strategyFS.ReadFile("data/strategies/social_strategies_" + version + ".json")
	if err == nil {
		var s []Strategy
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("strategy version %s: %w", version, err)
		}
		return s, nil
	}
	subsets, err := strategySubsets()
	if err != nil {
		return nil, err
	}
	ids, ok := subsets[version]
	if !ok {
		return nil, fmt.Errorf("unknown strategy version %q (want one of %s)", version, strings.Join(StrategyVersions(), ", "))
	}
	// v3_* subsets index v3; v4_* and v3_diverse* index v4 by id, except arm 0 = the v3 baseline.
	v3, err := Strategies("v3")
	if err != nil {
		return nil, err
	}
	v4, err := Strategies("v4")
	if err != nil {
		return nil, err
	}
	pool := v3
	if strings.HasPrefix(version, "v4_") || strings.HasPrefix(version, "v3_diverse") {
		pool = v4
	}
	byID := map[string]Strategy{}
	for _, s := range pool {
		byID[s.ID] = s
	}
	out := []Strategy{v3[0]}
	for _, id := range ids[1:] {
		s, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("strategy version %s: unknown id %q", version, id)
		}
		out = append(out, s)
	}
	return out, nil
}

func strategySubsets() (map[string][]string, error) {
	b, err := strategyFS.ReadFile("data/strategies/strategy_version_subsets.json")
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for k, v := range raw {
		if strings.HasPrefix(k, "_") {
			continue
		}
		var ids []string
		if err := json.Unmarshal(v, &ids); err != nil {
			return nil, fmt.Errorf("strategy subset %s: %w", k, err)
		}
		out[k] = ids
	}
	return out, nil
}

// ArmText is the text an arm injects in place of the seat's background: the background alone for
// the baseline (empty description), else background + "\n" + description + StrategySuffix.
func ArmText(background string, s Strategy) string {
	if s.Description == "" {
		return background
	}
	return background + "\n" + s.Description + StrategySuffix
}
