package nn

import (
	"math"
	"strings"
	"testing"
)

// Reference values below come from PyTorch 1.13.1 (Debian python3-torch), float64.

func TestAdamMatchesHandComputedFirstStep(t *testing.T) {
	// One parameter 0.5, gradient 0.2, lr 0.1, weight decay 0.01, step 1:
	// g' = 0.2 + 0.01*0.5 = 0.205; m = 0.1*0.205; v = 0.001*0.205^2;
	// m^ = m/0.1 = 0.205; sqrt(v^) = 0.205; w = 0.5 - 0.1*0.205/(0.205 + 1e-8).
	want := 0.5 - 0.1*0.205/(0.205+1e-8)
	for _, k := range supportedKernels() {
		w, m, v, g := []float64{0.5}, []float64{0}, []float64{0}, []float64{0.2}
		c := newAdamConsts(0.1, 0.01, 1)
		k.adam(w, m, v, g, &c)
		if math.Abs(w[0]-want) > 1e-15 || math.Abs(m[0]-0.0205) > 1e-17 || math.Abs(v[0]-0.001*0.205*0.205) > 1e-19 {
			t.Errorf("%s: w %v m %v v %v; want w %v", k.name, w[0], m[0], v[0], want)
		}
	}
}

func TestAdamMatchesTorchOverThreeSteps(t *testing.T) {
	grads := [][]float64{{0.2, 0, -4}, {-0.1, 1e-3, 2}, {0.3, -0.5, 0}}
	want := [][]float64{
		{0.40000000487804854, -1.150000079999936, 3.099999999748111},
		{0.37089515210896584, -1.0508277702084903, 3.125741694788837},
		{0.3062218554615664, -0.9845307708963077, 3.1451914492595905},
	}
	// Five copies so the SIMD body and the scalar tail both run.
	for _, k := range supportedKernels() {
		w := []float64{0.5, -1.25, 3, 0.5, -1.25}
		m, v := make([]float64, 5), make([]float64, 5)
		for s, g := range grads {
			c := newAdamConsts(0.1, 0.01, s+1)
			k.adam(w, m, v, append(append([]float64{}, g...), g[:2]...), &c)
			for i := range w {
				if d := math.Abs(w[i] - want[s][i%3]); d > 2e-15 {
					t.Errorf("%s step %d param %d: %.17g, torch %.17g", k.name, s+1, i, w[i], want[s][i%3])
				}
			}
		}
	}
}

func TestSGDMatchesTorch(t *testing.T) {
	for _, k := range supportedKernels() {
		w := []float64{0.5, -1.25, 3, 0.5, -1.25}
		k.sgd(w, []float64{0.2, 0, -4, 0.2, 0}, 0.1, 0.5)
		for i, want := range []float64{0.455, -1.1875, 3.25, 0.455, -1.1875} {
			if math.Abs(w[i]-want) > 1e-15 {
				t.Errorf("%s: param %d = %v, torch %v", k.name, i, w[i], want)
			}
		}
	}
}

func TestCosineScheduleMatchesTorch(t *testing.T) {
	c := ALSOTrainConfig(1)
	for _, tc := range []struct {
		epoch int
		want  float64
	}{{0, 0.01}, {1, 0.009997557473810372}, {25, 0.008550178566873411}, {50, 0.005050000000000002}, {99, 0.00010244252618962859}} {
		if got := c.lrAt(tc.epoch); math.Abs(got-tc.want) > 1e-17 {
			t.Errorf("epoch %d: lr %.17g, torch %.17g", tc.epoch, got, tc.want)
		}
	}
	c.Cosine = false
	if c.lrAt(60) != c.LR {
		t.Error("without Cosine the rate must stay constant")
	}
}

func TestClipScaleMatchesTorch(t *testing.T) {
	// Gradients (3, 4) and (12): global norm 13; torch scales them to 0.2307692130..., i.e. by
	// 1/(13 + 1e-6).
	c := TrainConfig{ClipNorm: 1}
	s := c.clipScale(9 + 16 + 144)
	for i, g := range []float64{3, 4, 12} {
		want := []float64{0.23076921301775288, 0.3076922840236705, 0.9230768520710115}[i]
		if math.Abs(g*s-want) > 1e-16 {
			t.Errorf("clipped %v -> %.17g, torch %.17g", g, g*s, want)
		}
	}
	if c.clipScale(0.25) != 1 {
		t.Error("a norm below the limit must not be scaled")
	}
	if !math.IsNaN(c.clipScale(math.NaN())) {
		t.Error("a NaN norm must propagate, as in torch")
	}
	if (TrainConfig{}).clipScale(1e6) != 1 {
		t.Error("ClipNorm 0 disables clipping")
	}
}

func TestEarlyStopRule(t *testing.T) {
	// Epoch 0 has no predecessor; epochs 1..10 each move by <= 1e-5: the 10th calm epoch stops.
	var e earlyStop
	losses := []float64{0.5, 0.5 + 1e-5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}
	for i, l := range losses {
		if e.observe(i, l) {
			t.Fatalf("stopped after epoch %d, only %d calm epochs", i, e.calm)
		}
	}
	if !e.observe(len(losses), 0.5+5e-6) {
		t.Fatal("10 consecutive calm epochs must stop")
	}
	// One jump resets the count.
	e = earlyStop{}
	for i := 0; i < 9; i++ {
		e.observe(i, 1)
	}
	e.observe(9, 1.1)
	if e.observe(10, 1.1) {
		t.Fatal("a jump must reset the calm count")
	}
}

func TestTrainConfigValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*TrainConfig)
		want   string
	}{
		{func(c *TrainConfig) { c.Epochs = 0 }, "epochs"},
		{func(c *TrainConfig) { c.BatchSize = -1 }, "batch size"},
		{func(c *TrainConfig) { c.LR = math.NaN() }, "lr"},
		{func(c *TrainConfig) { c.LRMin = 1 }, "lr min"},
		{func(c *TrainConfig) { c.WeightDecay = -1 }, "weight decay"},
		{func(c *TrainConfig) { c.ClipNorm = math.Inf(1) }, "clip norm"},
	} {
		c := ALSOTrainConfig(3)
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error naming %q", err, tc.want)
		}
	}
	if err := ALSOTrainConfig(3).Validate(); err != nil {
		t.Fatal(err)
	}
	if wd := ALSOTrainConfig(4).WeightDecay; wd != 0.0025 {
		t.Errorf("weight decay for 4 records = %v, want min(0.01, 0.01/4)", wd)
	}
}
