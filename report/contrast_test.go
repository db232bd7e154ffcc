package report

import (
	"fmt"
	"testing"

	"github.com/also-project/also/report/stats"
	"github.com/also-project/also/sotopia"
)

// Every arm's differences with arm 0 are one Holm family: a correction per arm would be too lenient.
func TestStrategiesHolmAcrossArms(t *testing.T) {
	var tags []TagEpisodes
	for arm, gain := range []float64{0, 2, 1} {
		tag := fmt.Sprintf("arm%d", arm)
		te := TagEpisodes{Tag: tag}
		for task := 1; task <= 8; task++ {
			g := float64(task%4) + gain*float64(1+task%2)
			te.Episodes = append(te.Episodes, goalEpisode(tag, fmt.Sprintf("T%d", task), 1, sotopia.StatusDone, g, g))
		}
		tags = append(tags, te)
	}
	st, err := Strategies(tags, []StrategyArm{{0, "none"}, {1, "a"}, {2, "b"}}, "all", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ps, holm []float64
	for _, r := range st.Rows {
		for _, c := range r.VsReference {
			ps, holm = append(ps, c.P), append(holm, c.PHolm)
		}
	}
	if len(ps) != 4 || ps[0] > 0.1 {
		t.Fatalf("p %v: want two small ones per arm", ps)
	}
	for i, p := range stats.Holm(ps) {
		if holm[i] != p {
			t.Errorf("difference %d: Holm %v, want %v over all arms (p %v)", i, holm[i], p, ps)
		}
	}
}
