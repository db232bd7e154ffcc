package nn

import "fmt"

// Activation is the hidden-layer non-linearity.
type Activation int

const (
	// GELU is the exact erf form, x * Phi(x): PyTorch's nn.GELU() default (ALSO's ValueNetwork).
	GELU Activation = iota
	// ReLU is max(x, 0), with derivative 0 at x = 0 as in PyTorch (Instinct / NeuralUCB).
	ReLU
)

func (a Activation) String() string {
	switch a {
	case GELU:
		return "gelu"
	case ReLU:
		return "relu"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// InitScheme chooses how fresh parameters are drawn.
type InitScheme int

const (
	// XavierUniform draws weights from U(-a, a), a = sqrt(6 / (fan_in + fan_out)), and zeroes
	// biases (ALSO's ValueNetwork, also-method.md 1.5).
	XavierUniform InitScheme = iota
	// TorchDefault is nn.Linear's own initialisation: weights (kaiming_uniform with a = sqrt(5))
	// and biases both from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the Instinct net, section 2.2).
	TorchDefault
)

func (s InitScheme) String() string {
	switch s {
	case XavierUniform:
		return "xavier_uniform"
	case TorchDefault:
		return "torch_default"
	}
	return fmt.Sprintf("InitScheme(%d)", int(s))
}

// Spec is an MLP's shape: In -> [Hidden -> Act] x Depth -> Out. Depth 0 is one linear layer.
type Spec struct {
	In     int
	Hidden int
	Depth  int
	Out    int
	Act    Activation
	Init   InitScheme
}

// Validate names the first bad field.
func (s Spec) Validate() error {
	switch {
	case s.In < 1:
		return fmt.Errorf("nn: spec in = %d: must be >= 1", s.In)
	case s.Depth < 0:
		return fmt.Errorf("nn: spec depth = %d: must be >= 0", s.Depth)
	case s.Depth > 0 && s.Hidden < 1:
		return fmt.Errorf("nn: spec hidden = %d: must be >= 1 when depth > 0", s.Hidden)
	case s.Out < 1:
		return fmt.Errorf("nn: spec out = %d: must be >= 1", s.Out)
	case s.Act != GELU && s.Act != ReLU:
		return fmt.Errorf("nn: spec activation %v: want gelu or relu", s.Act)
	case s.Init != XavierUniform && s.Init != TorchDefault:
		return fmt.Errorf("nn: spec init %v: want xavier_uniform or torch_default", s.Init)
	}
	return nil
}

// widths lists the layer boundaries: In, Hidden (Depth times), Out.
func (s Spec) widths() []int {
	w := []int{s.In}
	for range s.Depth {
		w = append(w, s.Hidden)
	}
	return append(w, s.Out)
}

// NumParams is the number of trainable scalars (weights and biases of every layer).
func (s Spec) NumParams() int {
	w := s.widths()
	n := 0
	for l := 0; l+1 < len(w); l++ {
		n += w[l]*w[l+1] + w[l+1]
	}
	return n
}
