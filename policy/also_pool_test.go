package policy

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/also-project/also/nn"
)

// Many bandits share one pool from many goroutines (run under -race); each bandit's results
// equal those of the same bandit run alone, so sharing workspaces leaks no state.
func TestALSO_SharedPoolConcurrent(t *testing.T) {
	pool, err := nn.NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	play := func(seed uint64, pool *nn.Pool) []Choice {
		cfg := DefaultConfig()
		cfg.ALSO.Hidden, cfg.ALSO.Epochs = 6, 10
		p, err := New("also", Params{Arms: alsoTestArms(4, 8, seed), Rand: rand.New(rand.NewPCG(seed, 9)), Config: cfg, Pool: pool})
		if err != nil {
			t.Error(err)
			return nil
		}
		var out []Choice
		arm := 0
		for turn := 1; turn <= 5; turn++ {
			ctx := []float64{float64(seed), float64(turn), 0, 1, 0, 0, 1, 2}
			if err := p.Update(Feedback{Turn: turn, Arm: arm, Reward: 0.2 + 0.1*float64(arm), Context: ctx}); err != nil {
				t.Error(err)
				return nil
			}
			c, err := p.Select(turn, ctx)
			if err != nil {
				t.Error(err)
				return nil
			}
			out = append(out, c)
			arm = c.Arm
		}
		return out
	}
	const bandits = 8
	shared := make([][]Choice, bandits)
	var wg sync.WaitGroup
	for i := range bandits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			shared[i] = play(uint64(i+1), pool)
		}()
	}
	wg.Wait()
	for i := range bandits {
		alone := play(uint64(i+1), nil)
		for r := range alone {
			if alone[r].Arm != shared[i][r].Arm || alone[r].Prob != shared[i][r].Prob {
				t.Fatalf("bandit %d round %d: shared pool %+v, alone %+v", i, r, shared[i][r], alone[r])
			}
		}
	}
}

// BenchmarkALSOPeakRSS64Episodes plays 64 concurrent bilateral episodes (128 ALSO bandits) at
// the paper's shapes (4096-d arm and context embeddings, 13 arms, 19 selections, hidden 100,
// depth 2, batch 8) on one shared pool sized to the cores, and reports the process's peak RSS.
// Epochs are cut to 2: buffer sizes, and so memory, do not depend on them.
//
//	go test ./policy -run '^$' -bench PeakRSS -benchtime 1x
func BenchmarkALSOPeakRSS64Episodes(b *testing.B) {
	const episodes, dim, arms, turns = 64, 4096, 13, 20
	pool, err := nn.NewPool(2)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var wg sync.WaitGroup
		for e := range episodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(e), 1))
				var seats [2]Policy
				for s := range seats {
					cfg := DefaultConfig()
					cfg.ALSO.Epochs = 2
					p, err := New("also", Params{Arms: alsoTestArms(arms, dim, uint64(2*e+s)), Rand: rand.New(rand.NewPCG(uint64(e), uint64(s))), Config: cfg, Pool: pool})
					if err != nil {
						b.Error(err)
						return
					}
					seats[s] = p
				}
				current := [2]int{}
				for turn := 1; turn < turns; turn++ {
					ctx := make([]float64, dim)
					for i := range ctx {
						ctx[i] = rng.NormFloat64()
					}
					for s, p := range seats {
						if err := p.Update(Feedback{Turn: turn, Arm: current[s], Reward: rng.Float64() + 1e-3, Context: ctx}); err != nil {
							b.Error(err)
							return
						}
						c, err := p.Select(turn, ctx)
						if err != nil {
							b.Error(err)
							return
						}
						current[s] = c.Arm
					}
				}
			}()
		}
		wg.Wait()
	}
	if hwm, ok := peakRSSMiB(); ok {
		b.ReportMetric(hwm, "peak-RSS-MiB")
	}
}

// peakRSSMiB reads VmHWM from /proc/self/status (Linux).
func peakRSSMiB() (float64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}
