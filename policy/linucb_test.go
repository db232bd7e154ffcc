package policy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func linUCBWith(t *testing.T, alpha float64, embeddings ...[]float64) *linUCB {
	t.Helper()
	arms := make([]Arm, len(embeddings))
	for i, e := range embeddings {
		arms[i] = Arm{Index: i, ID: string(rune('a' + i)), Embedding: e}
	}
	cfg := DefaultConfig()
	cfg.Alpha = alpha
	pol, err := New("linucb", Params{Arms: arms, Rand: rand.New(rand.NewPCG(1, 1)), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return pol.(*linUCB)
}

// TestLi2010_LinUCB_Algorithm1_TwoArms works a 2-arm, 2-d example by hand. x1 = (1, 0),
// x2 = (0.6, 0.8), α = 1.
//
// After arm 1 pays 1: A = diag(2, 1), b = (1, 0), θ = (1/2, 0);
// UCB1 = 1/2 + sqrt(1/2), UCB2 = 0.3 + sqrt(0.36/2 + 0.64).
// After arm 2 pays 0: A = [[2.36, 0.48], [0.48, 1.64]], det 3.64,
// A⁻¹ = [[1.64, -0.48], [-0.48, 2.36]]/3.64, θ = (1.64, -0.48)/3.64;
// UCB1 = (1.64 + sqrt(1.64·3.64))/3.64, UCB2 = (0.6·1.64 - 0.8·0.48 + sqrt(1.64·3.64))/3.64
// (x2ᵀA⁻¹x2 = (0.36·1.64 - 2·0.48·0.48 + 0.64·2.36)/3.64 = 1.64/3.64).
func TestLi2010_LinUCB_Algorithm1_TwoArms(t *testing.T) {
	pol := linUCBWith(t, 1, []float64{1, 0}, []float64{0.6, 0.8})
	assertProbs(t, pol.scores(), []float64{1, 1})

	mustUpdate(t, pol, 0, 0, 1)
	assertProbs(t, pol.scores(), []float64{0.5 + math.Sqrt(0.5), 0.3 + math.Sqrt(0.36/2+0.64)})
	if c := mustSelect(t, pol, 1); c.Arm != 0 || c.Prob != 1 {
		t.Fatalf("choice %+v, want arm 0 deterministically", c)
	}

	mustUpdate(t, pol, 1, 1, 0)
	bonus := math.Sqrt(1.64 / 3.64)
	assertProbs(t, pol.scores(), []float64{1.64/3.64 + bonus, (0.6*1.64-0.8*0.48)/3.64 + bonus})
}

// TestLi2010_LinUCB_GramSpaceMatchesExplicitInverse compares the K×K Gram-space updates with the
// textbook d×d computation (A += xxᵀ, b += r x, explicit inverse) on a random problem.
func TestLi2010_LinUCB_GramSpaceMatchesExplicitInverse(t *testing.T) {
	const k, d, alpha = 4, 7, 0.7
	rng := rand.New(rand.NewPCG(3, 3))
	emb := make([][]float64, k)
	for i := range emb {
		emb[i] = make([]float64, d)
		for j := range emb[i] {
			emb[i][j] = rng.NormFloat64()
		}
	}
	pol := linUCBWith(t, alpha, emb...)
	a := identity(d)
	b := make([]float64, d)
	for turn := range 40 {
		arm, r := rng.IntN(k), rng.Float64()
		mustUpdate(t, pol, turn, arm, r)
		for i := range d {
			b[i] += r * emb[arm][i]
			for j := range d {
				a[i][j] += emb[arm][i] * emb[arm][j]
			}
		}
	}
	inv := invert(t, a)
	theta := matVec(inv, b)
	want := make([]float64, k)
	for i, x := range emb {
		want[i] = dot(theta, x) + alpha*math.Sqrt(dot(x, matVec(inv, x)))
	}
	got := pol.scores()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Fatalf("Gram-space scores %v, explicit %v", got, want)
		}
	}
}

// TestLinUCB_4096Dims: the artifact's embedding size must be cheap (no d×d matrix).
func TestLinUCB_4096Dims(t *testing.T) {
	const k, d = 13, 4096
	rng := rand.New(rand.NewPCG(5, 5))
	emb := make([][]float64, k)
	for i := range emb {
		emb[i] = make([]float64, d)
		for j := range emb[i] {
			emb[i][j] = rng.NormFloat64() / math.Sqrt(d)
		}
	}
	start := time.Now()
	pol := linUCBWith(t, 1, emb...)
	for turn := range 500 {
		c := mustSelect(t, pol, turn)
		mustUpdate(t, pol, turn, c.Arm, rng.Float64())
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("500 turns with d = 4096 took %v", el)
	}
}

func TestLinUCB_RejectsBadEmbeddings(t *testing.T) {
	tests := []struct {
		name string
		arms []Arm
		want string
	}{
		{"missing", []Arm{{Embedding: []float64{1}}, {ID: "b"}}, `arm 1 ("b") has no embedding`},
		{"ragged", []Arm{{Embedding: []float64{1, 0}}, {ID: "b", Embedding: []float64{1}}}, "1-dimensional embedding, arm 0 has 2"},
		{"nan", []Arm{{ID: "a", Embedding: []float64{math.NaN()}}}, "component 0 is NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("linucb", Params{Arms: tt.arms, Rand: rand.New(rand.NewPCG(1, 1)), Config: DefaultConfig()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func identity(d int) [][]float64 {
	m := make([][]float64, d)
	for i := range m {
		m[i] = make([]float64, d)
		m[i][i] = 1
	}
	return m
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func matVec(m [][]float64, v []float64) []float64 {
	out := make([]float64, len(m))
	for i, row := range m {
		out[i] = dot(row, v)
	}
	return out
}

// invert is Gauss-Jordan elimination with partial pivoting, independent of the code under test.
func invert(t *testing.T, m [][]float64) [][]float64 {
	t.Helper()
	d := len(m)
	aug := make([][]float64, d)
	for i := range m {
		aug[i] = append(append([]float64{}, m[i]...), identity(d)[i]...)
	}
	for col := range d {
		piv := col
		for r := col + 1; r < d; r++ {
			if math.Abs(aug[r][col]) > math.Abs(aug[piv][col]) {
				piv = r
			}
		}
		if math.Abs(aug[piv][col]) < 1e-12 {
			t.Fatal("singular matrix")
		}
		aug[col], aug[piv] = aug[piv], aug[col]
		p := aug[col][col]
		for j := range aug[col] {
			aug[col][j] /= p
		}
		for r := range d {
			if r != col {
				f := aug[r][col]
				for j := range aug[r] {
					aug[r][j] -= f * aug[col][j]
				}
			}
		}
	}
	inv := make([][]float64, d)
	for i := range aug {
		inv[i] = aug[i][d:]
	}
	return inv
}
