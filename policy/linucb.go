package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// linUCB is LinUCB (Li, Chu, Langford and Schapire, "A contextual-bandit approach to personalized
// news article recommendation", WWW 2010, Algorithm 1) with one θ shared by all arms, the features
// being the arm embeddings, as the ALSO artifact runs it (also-method.md 2.4):
//
//	A = I_d, b = 0;  θ = A⁻¹ b;  UCB_i = θᵀx_i + α sqrt(x_iᵀ A⁻¹ x_i);  play argmax
//	update: A ← A + x xᵀ, b ← b + r x for the played arm's x.
//
// α = Config.Alpha. The dialogue context is not a feature (as in the artifact).
//
// The artifact keeps the d×d inverse (d = 4096: 128 MB per seat, O(d³) per re-inversion). The
// arm set is fixed, so every quantity LinUCB reads is a bilinear form between arm embeddings,
// and those can be kept exactly in the K×K Gram space. With X the K×d matrix of embeddings,
// define M = X A⁻¹ Xᵀ (initially the Gram matrix X Xᵀ). Sherman-Morrison for A' = A + x_a x_aᵀ,
//
//	A'⁻¹ = A⁻¹ - A⁻¹ x_a x_aᵀ A⁻¹ / (1 + x_aᵀ A⁻¹ x_a),
//
// multiplied by X on the left and Xᵀ on the right gives the rank-1 update
//
//	M' = M - m_a m_aᵀ / (1 + M_aa),  m_a = column a of M.
//
// Since b = Xᵀ s with s_a the summed reward of arm a, θᵀx_i = x_iᵀ A⁻¹ Xᵀ s = (M s)_i and
// x_iᵀ A⁻¹ x_i = M_ii. Memory is K² floats, an update costs O(K²), and building the Gram matrix
// O(K² d) once; no approximation is involved. Ties are broken uniformly at random.
type linUCB struct {
	alpha float64
	gram  [][]float64 // M = X A⁻¹ Xᵀ
	sums  []float64   // s: summed reward per arm
	rng   *rand.Rand
}

func newLinUCB(p Params) (Policy, error) {
	k := len(p.Arms)
	dim := len(p.Arms[0].Embedding)
	for i, arm := range p.Arms {
		switch {
		case len(arm.Embedding) == 0:
			return nil, fmt.Errorf("linucb: arm %d (%q) has no embedding", i, arm.ID)
		case len(arm.Embedding) != dim:
			return nil, fmt.Errorf("linucb: arm %d (%q) has a %d-dimensional embedding, arm 0 has %d", i, arm.ID, len(arm.Embedding), dim)
		}
		for j, v := range arm.Embedding {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("linucb: arm %d (%q) embedding component %d is %v", i, arm.ID, j, v)
			}
		}
	}
	gram := make([][]float64, k)
	for i := range gram {
		gram[i] = make([]float64, k)
	}
	for i := range k {
		for j := i; j < k; j++ {
			dot := 0.0
			for n, v := range p.Arms[i].Embedding {
				dot += v * p.Arms[j].Embedding[n]
			}
			gram[i][j], gram[j][i] = dot, dot
		}
	}
	return &linUCB{alpha: p.Config.Alpha, gram: gram, sums: make([]float64, k), rng: p.Rand}, nil
}

func (l *linUCB) Name() string { return "linucb" }

func (l *linUCB) Update(fb Feedback) error {
	if err := checkFeedback(l.Name(), fb, len(l.sums)); err != nil {
		return err
	}
	a := fb.Arm
	col := make([]float64, len(l.gram))
	for i := range col {
		col[i] = l.gram[i][a]
	}
	denom := 1 + col[a]
	for i := range l.gram {
		for j := range l.gram[i] {
			l.gram[i][j] -= col[i] * col[j] / denom
		}
	}
	l.sums[a] += fb.Reward
	return nil
}

// scores are the upper confidence bounds θᵀx_i + α sqrt(x_iᵀ A⁻¹ x_i).
func (l *linUCB) scores() []float64 {
	out := make([]float64, len(l.gram))
	for i, row := range l.gram {
		mean := 0.0
		for j, s := range l.sums {
			mean += row[j] * s
		}
		// A⁻¹ is positive definite, so M_ii >= 0; clamp the rounding below zero.
		out[i] = mean + l.alpha*math.Sqrt(math.Max(0, row[i]))
	}
	return out
}

func (l *linUCB) Select(int, []float64) (Choice, error) {
	return pickTie(l.rng, len(l.sums), argmaxTies(l.scores())), nil
}
