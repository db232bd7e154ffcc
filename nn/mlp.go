package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Linear is one fully connected layer, y = x W^T + b, in PyTorch's layout: W is Out x In.
type Linear struct {
	In, Out int
	W       *tensor.Dense
	B       *tensor.Dense
	// w and b are the tensors' backing arrays: Dense.Data() builds its slice through reflection
	// and allocates on every call, which the training loop cannot afford.
	w, b []float64
}

func newLinear(in, out int) Linear {
	w, b := make([]float64, out*in), make([]float64, out)
	return Linear{
		In: in, Out: out,
		W: tensor.New(tensor.WithShape(out, in), tensor.WithBacking(w)),
		B: tensor.New(tensor.WithShape(out), tensor.WithBacking(b)),
		w: w, b: b,
	}
}

// Weights is W's backing slice (row o = weights into output o).
func (l Linear) Weights() []float64 { return l.w }

// Bias is b's backing slice.
func (l Linear) Bias() []float64 { return l.b }

// MLP is a multi-layer perceptron: Linear layers with the spec's activation between them and
// none after the last.
type MLP struct {
	spec   Spec
	Layers []Linear
}

// NewMLP allocates a network of the given shape with all parameters zero; call Init to draw them.
func NewMLP(spec Spec) (*MLP, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	w := spec.widths()
	m := &MLP{spec: spec}
	for l := 0; l+1 < len(w); l++ {
		m.Layers = append(m.Layers, newLinear(w[l], w[l+1]))
	}
	return m, nil
}

// Spec is the network's shape.
func (m *MLP) Spec() Spec { return m.spec }

// Init draws fresh parameters from rng according to the spec's InitScheme, layer by layer,
// weights (row-major) before biases.
func (m *MLP) Init(rng *rand.Rand) {
	for _, l := range m.Layers {
		var wBound, bBound float64
		switch m.spec.Init {
		case XavierUniform:
			wBound = math.Sqrt(6 / float64(l.In+l.Out))
		case TorchDefault:
			// kaiming_uniform_(a=sqrt(5)): gain sqrt(2/(1+5)) times sqrt(3/fan_in) = 1/sqrt(fan_in).
			wBound = 1 / math.Sqrt(float64(l.In))
			bBound = wBound
		}
		uniform(rng, l.Weights(), wBound)
		if bBound == 0 {
			clear(l.Bias())
		} else {
			uniform(rng, l.Bias(), bBound)
		}
	}
}

// uniform fills s with draws from U(-bound, bound).
func uniform(rng *rand.Rand, s []float64, bound float64) {
	for i := range s {
		s[i] = (2*rng.Float64() - 1) * bound
	}
}

// CopyFrom overwrites m's parameters with src's; the shapes must match.
func (m *MLP) CopyFrom(src *MLP) error {
	if m.spec != src.spec {
		return fmt.Errorf("nn: copy between different shapes %+v and %+v", src.spec, m.spec)
	}
	for l := range m.Layers {
		copy(m.Layers[l].Weights(), src.Layers[l].Weights())
		copy(m.Layers[l].Bias(), src.Layers[l].Bias())
	}
	return nil
}

// Finite reports whether every parameter is a finite number.
func (m *MLP) Finite() bool {
	for _, l := range m.Layers {
		for _, s := range [][]float64{l.Weights(), l.Bias()} {
			for _, v := range s {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return false
				}
			}
		}
	}
	return true
}

// Predict runs the network on rows of x (rows x In, row-major) and writes rows x Out outputs
// into out.
func (m *MLP) Predict(x []float64, out []float64) error {
	in := m.spec.In
	if len(x) == 0 || len(x)%in != 0 {
		return fmt.Errorf("nn: predict input has %d values, not a positive multiple of the input width %d", len(x), in)
	}
	rows := len(x) / in
	if len(out) != rows*m.spec.Out {
		return fmt.Errorf("nn: predict output has %d slots, want %d (%d rows x %d outputs)", len(out), rows*m.spec.Out, rows, m.spec.Out)
	}
	k := bestKernels()
	cur := x
	for li, l := range m.Layers {
		z := out
		if li+1 < len(m.Layers) {
			z = make([]float64, rows*l.Out)
		}
		k.linearForward(splitRows(nil, cur, rows, l.In), l.In, l.Weights(), l.Bias(), l.Out, z)
		if li+1 < len(m.Layers) {
			activate(m.spec.Act, z, z, nil)
		}
		cur = z
	}
	return nil
}

// ParamGrad writes the gradient of the network's scalar output at input x with respect to every
// parameter into g (length Spec().NumParams(), layer by layer, weights row-major then biases) and
// returns the output. NeuralUCB's exploration bonus is built from these per-arm gradients.
func (m *MLP) ParamGrad(x []float64, g []float64) (float64, error) {
	if m.spec.Out != 1 {
		return 0, fmt.Errorf("nn: parameter gradient needs a single output, the network has %d", m.spec.Out)
	}
	if len(x) != m.spec.In {
		return 0, fmt.Errorf("nn: parameter gradient input has %d values, want %d", len(x), m.spec.In)
	}
	if len(g) != m.spec.NumParams() {
		return 0, fmt.Errorf("nn: parameter gradient buffer has %d slots, want %d", len(g), m.spec.NumParams())
	}
	k := bestKernels()
	// Forward, keeping each layer's input and pre-activation.
	inputs := make([][]float64, len(m.Layers))
	pre := make([][]float64, len(m.Layers))
	deriv := make([][]float64, len(m.Layers))
	cur := x
	for li, l := range m.Layers {
		inputs[li] = cur
		pre[li] = make([]float64, l.Out)
		k.linearForward([][]float64{cur}, l.In, l.Weights(), l.Bias(), l.Out, pre[li])
		cur = pre[li]
		if li+1 < len(m.Layers) {
			cur = make([]float64, l.Out)
			deriv[li] = make([]float64, l.Out)
			activate(m.spec.Act, pre[li], cur, deriv[li])
		}
	}
	y := cur[0]
	// Backward from dy = 1.
	clear(g)
	offsets := make([]int, len(m.Layers))
	off := 0
	for li, l := range m.Layers {
		offsets[li] = off
		off += l.In*l.Out + l.Out
	}
	dz := []float64{1}
	for li := len(m.Layers) - 1; li >= 0; li-- {
		l := m.Layers[li]
		o := offsets[li]
		var dx [][]float64
		if li > 0 {
			dx = [][]float64{make([]float64, l.In)}
		}
		k.linearBackward([][]float64{inputs[li]}, splitRows(nil, l.Weights(), l.Out, l.In), l.Out, dz,
			g[o:o+l.In*l.Out], g[o+l.In*l.Out:o+l.In*l.Out+l.Out], dx)
		if li > 0 {
			activateBackward(deriv[li-1], dx[0], dx[0])
			dz = dx[0]
		}
	}
	return y, nil
}
