// Package stats holds the arithmetic behind `also compare`: means with Student-t confidence
// intervals, a paired bootstrap of mean differences and Holm's step-down correction.
package stats

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Level is the confidence level of every interval this package reports.
const Level = 0.95

// Resamples is the number of bootstrap resamples `also compare` draws for each paired difference.
const Resamples = 10000

// Seed fixes the bootstrap's random stream so the same data always gives the same interval.
const Seed = 20260101

// Summary is a sample's mean with a two-sided 95% Student-t confidence interval.
// With n < 2 the interval is undefined: Lo and Hi equal the mean and Defined is false.
type Summary struct {
	N       int     `json:"n"`
	Mean    float64 `json:"mean"`
	SD      float64 `json:"sd"` // sample standard deviation (n-1 denominator)
	Lo      float64 `json:"ci_lo"`
	Hi      float64 `json:"ci_hi"`
	Defined bool    `json:"ci_defined"`
}

// HalfWidth is half the interval's width (0 when undefined).
func (s Summary) HalfWidth() float64 { return (s.Hi - s.Lo) / 2 }

// Describe is the mean and t-based 95% CI of xs: mean ± t(0.975, n-1) · sd / sqrt(n).
func Describe(xs []float64) Summary {
	s := Summary{N: len(xs)}
	if s.N == 0 {
		return s
	}
	s.Mean = Mean(xs)
	s.Lo, s.Hi = s.Mean, s.Mean
	if s.N < 2 {
		return s
	}
	var ss float64
	for _, x := range xs {
		ss += (x - s.Mean) * (x - s.Mean)
	}
	s.SD = math.Sqrt(ss / float64(s.N-1))
	h := TQuantile(1-(1-Level)/2, s.N-1) * s.SD / math.Sqrt(float64(s.N))
	s.Lo, s.Hi, s.Defined = s.Mean-h, s.Mean+h, true
	return s
}

// Mean is the arithmetic mean (0 for an empty sample).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// TQuantile is the p-quantile of Student's t distribution with df degrees of freedom.
func TQuantile(p float64, df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

// Paired is a paired comparison: the mean of per-task differences (treatment - baseline), its
// percentile bootstrap 95% CI and a two-sided sign-flip p-value, before and after Holm.
type Paired struct {
	N         int     `json:"n"`
	MeanDiff  float64 `json:"mean_diff"`
	Lo        float64 `json:"ci_lo"`
	Hi        float64 `json:"ci_hi"`
	P         float64 `json:"p"`
	PHolm     float64 `json:"p_holm"`
	Resamples int     `json:"resamples"`
}

// PairedBootstrap resamples the n differences with replacement `resamples` times from a PCG
// stream seeded with seed. The CI is the 2.5th and 97.5th percentiles of the resampled means.
// The p-value is SignFlipP's: a bootstrap p-value would call three equal differences certain,
// which a sign-flip test (p = 0.25) does not. With no differences, P is 1.
func PairedBootstrap(diffs []float64, resamples int, seed uint64) Paired {
	out := Paired{N: len(diffs), Resamples: resamples, P: 1, PHolm: 1}
	if len(diffs) == 0 || resamples <= 0 {
		return out
	}
	m := Mean(diffs)
	out.MeanDiff = m
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	means := make([]float64, resamples)
	for b := range means {
		var sum float64
		for range diffs {
			sum += diffs[rng.IntN(len(diffs))]
		}
		means[b] = sum / float64(len(diffs))
	}
	sort.Float64s(means)
	out.Lo = Percentile(means, (1-Level)/2)
	out.Hi = Percentile(means, 1-(1-Level)/2)
	out.P = SignFlipP(diffs, resamples, seed)
	out.PHolm = out.P
	return out
}

// ExactSignFlipMax is the largest n whose 2^n sign assignments SignFlipP enumerates.
const ExactSignFlipMax = 16

// SignFlipP is the two-sided p-value of the paired randomisation test of mean difference 0:
// under the null each difference's sign is a coin flip, so p is the share of sign assignments
// whose mean is at least as far from 0 as the observed one. For n <= ExactSignFlipMax every
// assignment is counted (exact); above, `resamples` random assignments from a PCG stream seeded
// with seed give p = (1 + #{|m*| >= |m|}) / (resamples + 1). 1 for no differences.
func SignFlipP(diffs []float64, resamples int, seed uint64) float64 {
	n := len(diffs)
	if n == 0 {
		return 1
	}
	var total float64
	for _, d := range diffs {
		total += d
	}
	// A tiny tolerance so that assignments tying the observed sum count as extreme.
	obs := math.Abs(total) - 1e-9*(1+math.Abs(total))
	if n <= ExactSignFlipMax {
		extreme := 0
		for mask := range 1 << n {
			var sum float64
			for i, d := range diffs {
				if mask&(1<<i) != 0 {
					sum -= d
				} else {
					sum += d
				}
			}
			if math.Abs(sum) >= obs {
				extreme++
			}
		}
		return float64(extreme) / float64(int(1)<<n)
	}
	rng := rand.New(rand.NewPCG(seed^0x5bd1e995, seed))
	extreme := 0
	for range resamples {
		var sum float64
		for _, d := range diffs {
			if rng.IntN(2) == 0 {
				sum -= d
			} else {
				sum += d
			}
		}
		if math.Abs(sum) >= obs {
			extreme++
		}
	}
	return float64(1+extreme) / float64(resamples+1)
}

// Percentile of sorted xs at q in [0,1], linear interpolation between order statistics
// (the "type 7" definition of R and NumPy's default).
func Percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// Holm adjusts p-values for m comparisons (Holm 1979, step-down): sort ascending, multiply the
// k-th smallest (k from 0) by m-k, keep the running maximum, cap at 1; returned in input order.
func Holm(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	out := make([]float64, m)
	running := 0.0
	for k, i := range idx {
		adj := math.Min(1, ps[i]*float64(m-k))
		running = math.Max(running, adj)
		out[i] = running
	}
	return out
}
