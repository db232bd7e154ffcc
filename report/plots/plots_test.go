package plots

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
)

func turns(arms ...int) []sotopia.TurnRecord {
	var out []sotopia.TurnRecord
	for i, a := range arms {
		r := 0.5
		out = append(out, sotopia.TurnRecord{Turn: i + 1, Seats: []sotopia.SeatTurn{{Arm: a, ArmID: "s" + string(rune('0'+a)), Reward: &r}, {Arm: 0}}})
	}
	return out
}

// Three episodes: at turn 1 arms 0, 0, 2; at turn 2 arms 1, 1 (the third episode ended).
func TestArmSharesPerTurn(t *testing.T) {
	eps := []*sotopia.EpisodeLog{{Turns: turns(0, 1)}, {Turns: turns(0, 1)}, {Turns: turns(2)}}
	g, ids := armShares(eps, 0)
	if g.turns != 2 || g.arms != 3 {
		t.Fatalf("grid %d turns x %d arms", g.turns, g.arms)
	}
	want := map[[2]int]float64{{0, 0}: 2.0 / 3, {0, 2}: 1.0 / 3, {1, 1}: 1, {0, 1}: 0, {1, 0}: 0}
	for k, w := range want {
		if got := g.Z(k[0], k[1]); math.Abs(got-w) > 1e-12 {
			t.Errorf("turn %d arm %d: share %v, want %v", k[0]+1, k[1], got, w)
		}
	}
	if ids[2] != "s2" {
		t.Errorf("arm ids %v", ids)
	}
	if g, _ := armShares(nil, 0); g != nil {
		t.Error("a grid without episodes")
	}
}

func TestRoundTicks(t *testing.T) {
	var got []string
	for _, tk := range (roundTicks{}).Ticks(-9.3, 13.1) {
		got = append(got, tk.Label)
	}
	if strings.Join(got, " ") != "-5 0 5 10" {
		t.Errorf("ticks %v, want -5 0 5 10", got)
	}
}

func TestAllRendersPNGAndSVG(t *testing.T) {
	tags := []Tag{{Name: "a", Episodes: []*sotopia.EpisodeLog{{TaskID: "T1", Status: sotopia.StatusDone, Turns: turns(0, 1)}}}}
	c, err := report.Compare([]report.TagEpisodes{{Tag: "a", Episodes: tags[0].Episodes}}, "all", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := All(tags, c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
		b, err := f.PNG()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		s, err := f.SVG()
		if err != nil || !bytes.Contains(s, []byte("<svg")) {
			t.Errorf("%s: svg %v", f.Name, err)
		}
	}
	// No scores and no regret: only the arm maps and the reward curves.
	if strings.Join(names, " ") != "arms_a_p1 arms_a_p2 reward_p1" {
		t.Errorf("figures %v", names)
	}
}
