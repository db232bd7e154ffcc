package policy

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAgrawalGoyal2012_Thompson_ConcentratesOnBestArm: on Bernoulli arms with means 0.3, 0.5,
// 0.7, Thompson sampling plays the best arm almost always once it has seen enough.
func TestAgrawalGoyal2012_Thompson_ConcentratesOnBestArm(t *testing.T) {
	means := []float64{0.3, 0.5, 0.7}
	const turns, tail = 1000, 200
	for seed := range uint64(3) {
		pol := newTestPolicy(t, "thompson", 3, DefaultConfig(), seed)
		env := rand.New(rand.NewPCG(seed, 77))
		best := 0
		for turn := range turns {
			c := mustSelect(t, pol, turn)
			if turn >= turns-tail && c.Arm == 2 {
				best++
			}
			r := 0.0
			if env.Float64() < means[c.Arm] {
				r = 1
			}
			mustUpdate(t, pol, turn, c.Arm, r)
		}
		if frac := float64(best) / tail; frac < 0.9 {
			t.Errorf("seed %d: best arm played in %.2f of the last %d turns, want >= 0.9", seed, frac, tail)
		}
	}
}

// TestAgrawalGoyal2012_Thompson_BernoulliTrial: a reward r counts as a success with probability r.
func TestAgrawalGoyal2012_Thompson_BernoulliTrial(t *testing.T) {
	pol := newTestPolicy(t, "thompson", 1, DefaultConfig(), 8).(*thompson)
	const n = 20000
	for range n {
		mustUpdate(t, pol, 0, 0, 0.3)
	}
	frac := (pol.succ[0] - 1) / n
	if math.Abs(frac-0.3) > 5*math.Sqrt(0.3*0.7/n) {
		t.Fatalf("success fraction %v for reward 0.3", frac)
	}
	if pol.succ[0]+pol.fail[0] != n+2 {
		t.Fatalf("posterior counts %v + %v, want %d", pol.succ[0], pol.fail[0], n+2)
	}
}

// TestThompson_PropensitiesMatchSampling: the quadrature probabilities that each posterior draw
// wins agree with the frequencies of the sampler itself.
func TestThompson_PropensitiesMatchSampling(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
	}{
		{"prior", []float64{1, 1, 1}, []float64{1, 1, 1}},
		{"skewed", []float64{1, 3, 2}, []float64{50, 4, 2}},
		{"peaked and overlapping", []float64{300, 310, 40}, []float64{100, 95, 60}},
		{"near one", []float64{400, 60, 1}, []float64{1, 1, 1}},
	}
	rng := rand.New(rand.NewPCG(10, 10))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs, err := betaArgmaxProbs(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			const draws = 40000
			wins := make([]float64, len(tt.a))
			for range draws {
				best, arm := -1.0, 0
				for i := range tt.a {
					if v := betaVariate(rng, tt.a[i], tt.b[i]); v > best {
						best, arm = v, i
					}
				}
				wins[arm]++
			}
			for i := range probs {
				if tol := 5*math.Sqrt(probs[i]*(1-probs[i])/draws) + 1e-3; math.Abs(wins[i]/draws-probs[i]) > tol {
					t.Fatalf("arm %d: quadrature %v, sampled %v (all %v vs %v)", i, probs[i], wins[i]/draws, probs, wins)
				}
			}
		})
	}
	// Symmetric posteriors must split exactly.
	probs, err := betaArgmaxProbs([]float64{5, 5}, []float64{3, 3})
	if err != nil || math.Abs(probs[0]-0.5) > 1e-9 {
		t.Fatalf("symmetric probs %v, err %v", probs, err)
	}
}

func TestBetaCDF_ClosedForms(t *testing.T) {
	tests := []struct {
		name string
		a, b float64
		cdf  func(x float64) float64
	}{
		{"uniform", 1, 1, func(x float64) float64 { return x }},
		{"Beta(3,1) = x^3", 3, 1, func(x float64) float64 { return x * x * x }},
		{"Beta(1,4) = 1-(1-x)^4", 1, 4, func(x float64) float64 { return 1 - math.Pow(1-x, 4) }},
		{"Beta(2,2) = 3x^2-2x^3", 2, 2, func(x float64) float64 { return 3*x*x - 2*x*x*x }},
	}
	for _, tt := range tests {
		for _, x := range []float64{0, 0.05, 0.3, 0.5, 0.77, 0.99, 1} {
			if got, want := betaCDF(x, tt.a, tt.b), tt.cdf(x); math.Abs(got-want) > 1e-12 {
				t.Fatalf("%s at %v: %v, want %v", tt.name, x, got, want)
			}
		}
	}
}

func TestBetaVariate_Moments(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, ab := range [][2]float64{{2, 5}, {0.5, 0.5}, {40, 10}} {
		a, b := ab[0], ab[1]
		const n = 40000
		sum, sq := 0.0, 0.0
		for range n {
			v := betaVariate(rng, a, b)
			if v < 0 || v > 1 {
				t.Fatalf("Beta(%v,%v) draw %v outside [0,1]", a, b, v)
			}
			sum += v
			sq += v * v
		}
		mean, wantMean := sum/n, a/(a+b)
		variance, wantVar := sq/n-mean*mean, a*b/((a+b)*(a+b)*(a+b+1))
		if math.Abs(mean-wantMean) > 5*math.Sqrt(wantVar/n) || math.Abs(variance-wantVar) > 0.05*wantVar {
			t.Fatalf("Beta(%v,%v): mean %v var %v, want %v and %v", a, b, mean, variance, wantMean, wantVar)
		}
	}
}
