package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/also-project/also/sotopia"
)

// The dialogue embedding carries information about theta: a ridge probe fitted on some episodes
// predicts seat 0's arm affinities on held-out episodes clearly better than the same probe fitted
// to shuffled targets.
func TestContextSignalAboveShuffled(t *testing.T) {
	opt := DefaultProbeOptions()
	opt.Episodes = 300 // fewer than the documented 1,200 keep the test short; the bar is lower too
	const minR2 = 0.08
	res, err := MeasureContextSignal(DefaultConfig(), sotopia.MustEmbedded(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.R2 < minR2 || res.Shuffled > 0.01 || res.R2 < res.Shuffled+minR2 {
		t.Errorf("context signal R2 %.3f vs shuffled %.3f: not clearly above chance", res.R2, res.Shuffled)
	}
	if res.Train == 0 || res.Test == 0 || res.Test > res.Train {
		t.Errorf("split %d train / %d test", res.Train, res.Test)
	}
}

func TestProbeOptionsValidated(t *testing.T) {
	ds := sotopia.MustEmbedded()
	for _, o := range []ProbeOptions{{Episodes: 2, Turns: 20, Holdout: 0.25, Strategies: "v3"}, {Episodes: 10, Turns: 0, Holdout: 0.25},
		{Episodes: 10, Turns: 5, Holdout: 1}} {
		if _, err := MeasureContextSignal(DefaultConfig(), ds, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	big := DefaultConfig()
	big.Dim = 4096
	if _, err := MeasureContextSignal(big, ds, DefaultProbeOptions()); err == nil {
		t.Error("Dim 4096 accepted by the primal probe")
	}
}

// The ridge solver recovers a planted linear map (R2 near its noise ceiling) and finds nothing
// in pure noise.
func TestRidgeProbeOnPlantedData(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const d, k, n = 30, 3, 600
	w := make([]float64, d*k)
	for i := range w {
		w[i] = r.NormFloat64()
	}
	var xs, ys, noise [][]float64
	var episodeOf []int
	for i := range n {
		x := make([]float64, d)
		for j := range x {
			x[j] = r.NormFloat64()
		}
		y, z := make([]float64, k), make([]float64, k)
		for c := range y {
			for j := range x {
				y[c] += x[j] * w[j*k+c]
			}
			y[c] += 3 * r.NormFloat64() // signal variance 30, noise 9: ceiling R2 = 30/39
			z[c] = r.NormFloat64()
		}
		xs, ys, noise, episodeOf = append(xs, x), append(ys, y), append(noise, z), append(episodeOf, i/10)
	}
	r2, _, train, test := ridgeProbe(xs, [][][]float64{ys, noise}, episodeOf, 45)
	if r2[0] < 0.7 || r2[0] > 0.8 {
		t.Errorf("planted R2 = %.3f, want about 0.77", r2[0])
	}
	if r2[1] > 0.02 {
		t.Errorf("noise R2 = %.3f, want about 0", r2[1])
	}
	if train != 450 || test != 150 {
		t.Errorf("split %d/%d, want 450/150", train, test)
	}
}
