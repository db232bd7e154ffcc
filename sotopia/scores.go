package sotopia

import (
	"encoding/json"
	"fmt"
	"math"
)

// Dimension is one of the seven Sotopia-Eval dimensions, in Sotopia's schema order.
type Dimension int

const (
	Believability Dimension = iota
	Relationship
	Knowledge
	Secret
	SocialRules
	Financial
	Goal
	NumDimensions
)

// DimensionInfo is a dimension's JSON key and its raw score range.
type DimensionInfo struct {
	Key      string
	Abbrev   string
	Min, Max float64
}

// Dimensions lists the seven dimensions with their ranges (sotopia.md section 3.1).
var Dimensions = [NumDimensions]DimensionInfo{
	{"believability", "BEL", 0, 10},
	{"relationship", "REL", -5, 5},
	{"knowledge", "KNO", 0, 10},
	{"secret", "SEC", -10, 0},
	{"social_rules", "SOC", -10, 0},
	{"financial_and_material_benefits", "FIN", -5, 5},
	{"goal", "GOAL", 0, 10},
}

func (d Dimension) String() string {
	if d < 0 || d >= NumDimensions {
		return fmt.Sprintf("dimension(%d)", int(d))
	}
	return Dimensions[d].Key
}

// DimensionByKey finds a dimension by its JSON key.
func DimensionByKey(key string) (Dimension, bool) {
	for i, d := range Dimensions {
		if d.Key == key {
			return Dimension(i), true
		}
	}
	return 0, false
}

// Scores holds one agent's seven raw Sotopia-Eval scores, indexed by Dimension.
type Scores [NumDimensions]float64

// Overall is Sotopia's overall_score: the unweighted mean of the seven raw scores.
func (s Scores) Overall() float64 {
	var sum float64
	for _, v := range s {
		sum += v
	}
	return sum / float64(NumDimensions)
}

// Validate reports the first score outside its dimension's range (or not finite).
func (s Scores) Validate() error {
	for i, v := range s {
		d := Dimensions[i]
		if math.IsNaN(v) || math.IsInf(v, 0) || v < d.Min || v > d.Max {
			return fmt.Errorf("%s score %v outside [%v, %v]", d.Key, v, d.Min, d.Max)
		}
	}
	return nil
}

// Normalised maps each score to [0,1] by min-max over its range, clipped (also-method.md 3.2).
func (s Scores) Normalised() Scores {
	var n Scores
	for i, v := range s {
		d := Dimensions[i]
		n[i] = math.Min(1, math.Max(0, (v-d.Min)/(d.Max-d.Min)))
	}
	return n
}

// Reward is ALSO's per-turn reward: the mean of the seven normalised scores, in [0,1].
func (s Scores) Reward() float64 { return s.Normalised().Overall() }

// MarshalJSON writes the Sotopia dimension dict including overall_score.
func (s Scores) MarshalJSON() ([]byte, error) {
	m := make(map[string]float64, NumDimensions+1)
	for i, v := range s {
		m[Dimensions[i].Key] = v
	}
	m["overall_score"] = s.Overall()
	return json.Marshal(m)
}

// UnmarshalJSON reads a Sotopia dimension dict; every dimension must be present.
func (s *Scores) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for i, d := range Dimensions {
		v, ok := m[d.Key]
		if !ok {
			return fmt.Errorf("scores: missing dimension %q", d.Key)
		}
		s[i] = v
	}
	return nil
}

// SeatReward is one entry of EpisodeLog.rewards: (overall, dims) when the judge succeeded, or the
// bare 0.0 Sotopia writes when it failed (Valid false). Never a silent zero: Valid says which.
type SeatReward struct {
	Valid   bool
	Overall float64
	Scores  Scores
}

// NewSeatReward builds a valid reward from scores.
func NewSeatReward(s Scores) SeatReward {
	return SeatReward{Valid: true, Overall: s.Overall(), Scores: s}
}

// MarshalJSON writes Sotopia's [overall, {dims..., overall_score}] tuple, or 0.0 when invalid.
func (r SeatReward) MarshalJSON() ([]byte, error) {
	if !r.Valid {
		return []byte("0.0"), nil
	}
	return json.Marshal([]any{r.Overall, r.Scores})
}

// UnmarshalJSON accepts the tuple form, a bare dict of dimensions, or a bare float (failed judge).
func (r *SeatReward) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*r = SeatReward{Overall: f}
		return nil
	}
	var tuple []json.RawMessage
	if err := json.Unmarshal(b, &tuple); err == nil {
		if len(tuple) != 2 {
			return fmt.Errorf("reward tuple has %d items, want 2", len(tuple))
		}
		if err := json.Unmarshal(tuple[0], &r.Overall); err != nil {
			return fmt.Errorf("reward overall: %w", err)
		}
		if err := json.Unmarshal(tuple[1], &r.Scores); err != nil {
			return err
		}
		r.Valid = true
		return nil
	}
	if err := json.Unmarshal(b, &r.Scores); err != nil {
		return fmt.Errorf("reward: %w", err)
	}
	r.Valid, r.Overall = true, r.Scores.Overall()
	return nil
}
