package stats

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f (± %g)", what, got, want, tol)
	}
}

// Quantiles from a printed t table (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
func TestTQuantileMatchesTable(t *testing.T) {
	for _, c := range []struct {
		df   int
		want float64
	}{{1, 12.706}, {4, 2.776}, {7, 2.365}, {30, 2.042}, {100, 1.984}} {
		near(t, "t(0.975)", TQuantile(0.975, c.df), c.want, 0.0006)
	}
}

// By hand: xs = 2,4,4,4,5,5,7,9; mean 5; squared deviations sum to 32, s^2 = 32/7, s = 2.138090;
// t(0.975,7) = 2.364624; half width = 2.364624 * 2.138090 / sqrt(8) = 0.755929 · 2.364624 = 1.787488.
func TestDescribeTInterval(t *testing.T) {
	s := Describe([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if s.N != 8 || !s.Defined {
		t.Fatalf("n %d defined %v", s.N, s.Defined)
	}
	near(t, "mean", s.Mean, 5, 1e-12)
	near(t, "sd", s.SD, 2.138090, 1e-6)
	near(t, "lo", s.Lo, 5-1.787488, 1e-5)
	near(t, "hi", s.Hi, 5+1.787488, 1e-5)
}

func TestDescribeSmallSamples(t *testing.T) {
	if s := Describe(nil); s.N != 0 || s.Defined {
		t.Errorf("empty: %+v", s)
	}
	if s := Describe([]float64{3}); s.N != 1 || s.Defined || s.Lo != 3 || s.Hi != 3 {
		t.Errorf("single value: %+v", s)
	}
}

// Hand-checked case: the differences {0, 1}. A resampled mean is 0 (prob 1/4), 0.5 (1/2) or 1
// (1/4), so the 2.5% and 97.5% percentiles are 0 and 1. Sign flips give sums +-1 (the 0 flips to
// itself): all four assignments are as extreme as the observed sum 1, p = 1.
func TestPairedBootstrapTwoPoints(t *testing.T) {
	p := PairedBootstrap([]float64{0, 1}, Resamples, Seed)
	near(t, "mean diff", p.MeanDiff, 0.5, 1e-12)
	near(t, "lo", p.Lo, 0, 1e-12)
	near(t, "hi", p.Hi, 1, 1e-12)
	near(t, "p", p.P, 1, 0)
}

// Constant differences: every resample equals the sample, so the CI collapses onto it; of the 8
// sign assignments of {1, 1, 1} only +++ and --- reach |sum| 3: p = 2/8.
func TestPairedBootstrapConstant(t *testing.T) {
	p := PairedBootstrap([]float64{1, 1, 1}, 999, Seed)
	if p.Lo != 1 || p.Hi != 1 {
		t.Errorf("CI [%v, %v], want [1, 1]", p.Lo, p.Hi)
	}
	near(t, "p", p.P, 0.25, 0)
}

// By hand: the sums of +-1 +-2 +-3 are 6, 4, 2, 0, 0, -2, -4, -6. Observed {1, 2, 3} (sum 6):
// |sum| >= 6 twice in 8 -> 0.25. Observed {1, -2, 3} (sum 2): |sum| >= 2 six times -> 0.75.
// All zeros: every assignment ties -> 1.
func TestSignFlipExact(t *testing.T) {
	near(t, "{1,2,3}", SignFlipP([]float64{1, 2, 3}, 0, Seed), 0.25, 0)
	near(t, "{1,-2,3}", SignFlipP([]float64{1, -2, 3}, 0, Seed), 0.75, 0)
	near(t, "zeros", SignFlipP([]float64{0, 0, 0, 0}, 0, Seed), 1, 0)
	near(t, "none", SignFlipP(nil, 0, Seed), 1, 0)
}

// Above ExactSignFlipMax the test samples assignments: for 20 equal differences only 2 of the
// 2^20 assignments are as extreme, so essentially no sampled one is: p = 1/(B+1). For 20
// differences alternating +1/-1 (sum 0) every assignment is as extreme: p = 1.
func TestSignFlipSampled(t *testing.T) {
	same := make([]float64, 20)
	alt := make([]float64, 20)
	for i := range same {
		same[i] = 1
		alt[i] = float64(1 - 2*(i%2))
	}
	near(t, "equal", SignFlipP(same, Resamples, Seed), 1.0/(Resamples+1), 1e-12)
	near(t, "alternating", SignFlipP(alt, Resamples, Seed), 1, 0)
}

// Closed form: the bootstrap distribution of the mean has mean x̄ and standard deviation
// sqrt(sum (x - x̄)^2 / n) / sqrt(n). For 1..20 that is sqrt(33.25)/sqrt(20) = 1.289380; with
// n = 20 the percentile CI is close to x̄ ± 1.96 · 1.289380 = [8.0228, 13.0772].
func TestPairedBootstrapClosedForm(t *testing.T) {
	var xs []float64
	for i := 1; i <= 20; i++ {
		xs = append(xs, float64(i))
	}
	p := PairedBootstrap(xs, Resamples, Seed)
	near(t, "mean diff", p.MeanDiff, 10.5, 1e-12)
	near(t, "lo", p.Lo, 10.5-1.96*1.289380, 0.1)
	near(t, "hi", p.Hi, 10.5+1.96*1.289380, 0.1)
	// 1..20 are all positive: a random sign assignment reaching |sum| 210 is all + or all -.
	near(t, "p", p.P, 1.0/(Resamples+1), 1e-12)
	again := PairedBootstrap(xs, Resamples, Seed)
	if again != p {
		t.Errorf("same seed gave %+v then %+v", p, again)
	}
}

func TestPairedBootstrapEmpty(t *testing.T) {
	if p := PairedBootstrap(nil, Resamples, Seed); p.N != 0 || p.P != 1 {
		t.Errorf("empty: %+v", p)
	}
}

// By hand: p = 0.01, 0.04, 0.03, 0.005 (m = 4). Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03,
// 0.03·2 = 0.06, 0.04·1 = 0.04 -> running max 0.06. In input order: 0.03, 0.06, 0.06, 0.02.
func TestHolmKnownList(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		near(t, "holm", got[i], want[i], 1e-12)
	}
	capped := Holm([]float64{0.6, 0.5})
	near(t, "capped", capped[0], 1, 0)
	near(t, "capped", capped[1], 1, 0)
}

func TestPercentileInterpolates(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	near(t, "q0", Percentile(xs, 0), 1, 0)
	near(t, "q1", Percentile(xs, 1), 4, 0)
	near(t, "q.5", Percentile(xs, 0.5), 2.5, 1e-12)
	near(t, "q.25", Percentile(xs, 0.25), 1.75, 1e-12)
}
