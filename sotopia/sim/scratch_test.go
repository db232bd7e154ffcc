package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/also-project/also/sotopia"
)

func TestScratchStats(t *testing.T) {
	arms := testArms(t)
	var cs []float64
	e := mustEmbedder(t, 256)
	for i := 1; i < 13; i++ {
		for j := i + 1; j < 13; j++ {
			cs = append(cs, dot(e.Vector(arms[0][i].Description), e.Vector(arms[0][j].Description)))
		}
	}
	mc := 0.0
	for _, c := range cs {
		mc += c / float64(len(cs))
	}
	fmt.Printf("mean cos between v3 descriptions %.3f\n", mc)
	for _, p := range Profiles() {
		cfg := DefaultConfig()
		cfg.Opponent = p
		var leaves, n, turns int
		var mu, regret, best, base, rr float64
		for task := 0; task < 450; task++ {
			g, err := NewGame(cfg, testSetup(t, task), arms, int64(task))
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(task), 1))
			for range 20 {
				o, err := g.Play([2]int{r.IntN(13), r.IntN(13)})
				if err != nil {
					t.Fatal(err)
				}
				turns++
				mu += o.Mu[0]
				rr += o.Reward[0]
				regret += o.Regret[0]
				mx := 0.0
				for _, v := range o.Expected[0] {
					mx = max(mx, v)
				}
				best += mx
				base += o.Expected[0][0]
				if o.Action == sotopia.ActionLeave {
					leaves++
					break
				}
			}
			n++
		}
		fmt.Printf("| %s | %.1f%% | %.1f | %.3f | %.3f | %.3f | %.3f |\n", p, 100*float64(leaves)/float64(n), float64(turns)/float64(n), mu/float64(turns), best/float64(turns), base/float64(turns), regret/float64(turns))
	}
}
