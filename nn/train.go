package nn

import "math/rand/v2"

// Train fits net to data with the fused kernels, in place, drawing mini-batch permutations from
// rng. Buffers come from the workspace and are reused by the next training.
func (ws *Workspace) Train(net *MLP, data Dataset, cfg TrainConfig, rng *rand.Rand) (TrainStats, error) {
	if err := cfg.Validate(); err != nil {
		return TrainStats{}, err
	}
	if err := data.check(net.spec); err != nil {
		return TrainStats{}, err
	}
	t := &ws.tr
	t.prepare(&ws.k, net, data, cfg)
	return t.run(rng), nil
}

// trainer holds one training run's state; its buffers outlive the run (grow-only).
type trainer struct {
	k     *kernels
	net   *MLP
	cfg   TrainConfig
	data  Dataset
	last  int   // index of the output layer
	width []int // layer boundaries, widths[l] -> widths[l+1]
	batch int   // rows per step (at most)

	z, zNext []float64   // first-layer pre-activations of the current / next batch
	zl, al   [][]float64 // per layer l >= 1: pre-activation; per l < last: activation
	dl       [][]float64 // per layer l < last: activation derivative at the pre-activation
	dz       [][]float64 // per layer: loss gradient w.r.t. its pre-activation
	da       [][]float64 // per layer l < out: gradient w.r.t. its activation
	gW, gB   [][]float64 // parameter gradients; gW[0] is never materialised
	mW, vW   [][]float64 // Adam moments
	mB, vB   [][]float64
	gram     []float64 // data Gram matrix x_i.x_j, N x N
	blk      []float64 // one block of a first-layer gradient row
	lanes    []float64 // dot-product lanes of the next batch, 8 per row and first-layer unit
	coef     []float64 // clipped first-layer output gradients, per unit and batch row
	yb       []float64 // targets of the batch

	order, spare []int
	rowsX        [][]float64    // input rows of the current batch
	rowsNext     [][]float64    // input rows of the next batch
	rowsA        [][][]float64  // per layer: activation rows
	rowsDA       [][][]float64  // per layer: activation-gradient rows
	rowsW        [][][]float64  // per layer: weight rows
	gxs, dxs     [][4][]float64 // a block's groups of four rows (fusedFirstLayer)
	step         int
}

// blockLen is how many first-layer columns one pass of the fused update handles: the batch rows'
// slices of a block (16 rows x blockLen float64) stay in L1/L2 while every unit's weights,
// moments and gradient for those columns stream past. A multiple of 8 (the lanes).
const blockLen = 512

func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

func growSet(set [][]float64, layers int, size func(l int) int) [][]float64 {
	for len(set) < layers {
		set = append(set, nil)
	}
	set = set[:layers]
	for l := range set {
		set[l] = grow(set[l], size(l))
	}
	return set
}

func (t *trainer) prepare(k *kernels, net *MLP, data Dataset, cfg TrainConfig) {
	t.k, t.net, t.data, t.cfg = k, net, data, cfg
	t.width = net.spec.widths()
	t.last = len(net.Layers) - 1
	t.batch = cfg.BatchSize
	if t.batch == 0 || t.batch > data.N {
		t.batch = data.N
	}
	nl := len(net.Layers)
	b := t.batch
	t.z = grow(t.z, b*t.width[1])
	t.zNext = grow(t.zNext, b*t.width[1])
	t.zl = growSet(t.zl, nl, func(l int) int {
		if l == 0 {
			return 0 // the first layer uses z and zNext
		}
		return b * t.width[l+1]
	})
	t.al = growSet(t.al, nl, func(l int) int { return b * t.width[l+1] })
	t.dl = growSet(t.dl, nl, func(l int) int { return b * t.width[l+1] })
	t.dz = growSet(t.dz, nl, func(l int) int { return b * t.width[l+1] })
	t.da = growSet(t.da, nl, func(l int) int { return b * t.width[l+1] })
	t.gW = growSet(t.gW, nl, func(l int) int {
		if l == 0 {
			return 0
		}
		return t.width[l] * t.width[l+1]
	})
	t.gB = growSet(t.gB, nl, func(l int) int { return t.width[l+1] })
	moment := func(l int) int {
		if cfg.Optimizer == SGD {
			return 0
		}
		return t.width[l] * t.width[l+1]
	}
	t.mW, t.vW = growSet(t.mW, nl, moment), growSet(t.vW, nl, moment)
	biasMoment := func(l int) int {
		if cfg.Optimizer == SGD {
			return 0
		}
		return t.width[l+1]
	}
	t.mB, t.vB = growSet(t.mB, nl, biasMoment), growSet(t.vB, nl, biasMoment)
	t.blk = grow(t.blk, blockLen)
	units := t.width[1]
	t.lanes = grow(t.lanes, units*4*lanes*((b+3)/4))
	t.coef = grow(t.coef, units*4*((b+3)/4))
	t.yb = grow(t.yb, b*net.spec.Out)
	t.gram = grow(t.gram, data.N*data.N)
	if cfg.ClipNorm > 0 {
		t.fillGram()
	}
	t.rowsA = t.rowsA[:0]
	t.rowsDA = t.rowsDA[:0]
	t.rowsW = t.rowsW[:0]
	for l := 0; l < nl; l++ {
		t.rowsA = append(t.rowsA, nil)
		t.rowsDA = append(t.rowsDA, nil)
		t.rowsW = append(t.rowsW, splitRows(nil, net.Layers[l].Weights(), t.width[l+1], t.width[l]))
	}
	t.step = 0
}

// fillGram computes every pairwise dot product of the data rows; the first layer's gradient
// norm is a quadratic form in them (fusedNormSq).
func (t *trainer) fillGram() {
	n, in := t.data.N, t.net.spec.In
	for i := 0; i < n; i++ {
		xi := t.data.X[i*in : (i+1)*in]
		for j := 0; j <= i; j++ {
			d := t.k.dot(xi, t.data.X[j*in:(j+1)*in])
			t.gram[i*n+j], t.gram[j*n+i] = d, d
		}
	}
}

func (t *trainer) xRow(i int) []float64 {
	in := t.net.spec.In
	return t.data.X[i*in : (i+1)*in]
}

// newOrder fills order for the next epoch: a fresh permutation for mini-batches, data order
// for full-batch descent.
func (t *trainer) newOrder(rng *rand.Rand) {
	n := t.data.N
	if cap(t.spare) < n {
		t.spare = make([]int, n)
	}
	t.order, t.spare = t.spare[:n], t.order
	for i := range t.order {
		t.order[i] = i
	}
	if t.cfg.BatchSize > 0 {
		rng.Shuffle(n, func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
	}
}

// run is the epoch loop. Each step's fused update also produces the next step's first-layer
// pre-activations, so the next batch must be known before the update: within an epoch it is
// the next slice of the permutation; at an epoch's end the early-stop rule is decided first (it
// only needs this step's loss), then the next epoch's permutation is drawn. rng is therefore
// consumed exactly as by a plain loop.
func (t *trainer) run(rng *rand.Rand) TrainStats {
	var st TrainStats
	n := t.data.N
	t.newOrder(rng)
	t.setRows(&t.rowsX, t.order[:min(t.batch, n)])
	t.k.linearForward(t.rowsX, t.width[0], t.net.Layers[0].Weights(), t.net.Layers[0].Bias(), t.width[1], t.z)
	var stop earlyStop
	for epoch := 0; epoch < t.cfg.Epochs; epoch++ {
		lr := t.cfg.lrAt(epoch)
		st.Epochs = epoch + 1
		for start := 0; start < n; start += t.batch {
			rows := t.order[start:min(start+t.batch, n)]
			t.setRows(&t.rowsX, rows)
			loss := t.forwardBackward(rows)
			st.Steps++
			st.LastLoss = loss
			var next []int
			if end := start + t.batch; end < n {
				next = t.order[end:min(end+t.batch, n)]
			} else {
				st.EarlyStopped = stop.observe(epoch, loss) && t.cfg.EarlyStop
				if !st.EarlyStopped && epoch+1 < t.cfg.Epochs {
					t.newOrder(rng)
					next = t.order[:min(t.batch, n)]
				}
			}
			t.setRows(&t.rowsNext, next)
			t.update(rows, lr)
			t.z, t.zNext = t.zNext, t.z
		}
		if st.EarlyStopped {
			break
		}
	}
	return st
}

func (t *trainer) setRows(dst *[][]float64, rows []int) {
	*dst = (*dst)[:0]
	for _, i := range rows {
		*dst = append(*dst, t.xRow(i))
	}
}

// forwardBackward finishes the forward pass from the first layer's pre-activations t.z, returns
// the batch loss and leaves every layer's gradients in dz/gW/gB (the first layer's weight
// gradient stays implicit: row o is sum_r dz[0][r,o] x_r).
func (t *trainer) forwardBackward(rows []int) float64 {
	b := len(rows)
	out := t.net.spec.Out
	t.zl[0] = t.z
	for l := 0; l < t.last; l++ {
		w := t.width[l+1]
		activate(t.net.spec.Act, t.zl[l][:b*w], t.al[l], t.dl[l])
		t.rowsA[l] = splitRows(t.rowsA[l], t.al[l], b, w)
		nxt := t.net.Layers[l+1]
		t.k.linearForward(t.rowsA[l], w, nxt.Weights(), nxt.Bias(), t.width[l+2], t.zl[l+1])
	}
	for r, i := range rows {
		copy(t.yb[r*out:(r+1)*out], t.data.Y[i*out:(i+1)*out])
	}
	loss := mseLoss(t.zl[t.last][:b*out], t.yb[:b*out], t.dz[t.last])
	for l := t.last; l >= 0; l-- {
		clear(t.gW[l])
		clear(t.gB[l])
		if l == 0 {
			w := t.width[1]
			for r := 0; r < b; r++ {
				for o := 0; o < w; o++ {
					t.gB[0][o] += t.dz[0][r*w+o]
				}
			}
			break
		}
		wPrev := t.width[l]
		t.rowsDA[l-1] = splitRows(t.rowsDA[l-1], t.da[l-1], b, wPrev)
		t.k.linearBackward(t.rowsA[l-1], t.rowsW[l], t.width[l+1], t.dz[l], t.gW[l], t.gB[l], t.rowsDA[l-1])
		activateBackward(t.dl[l-1][:b*wPrev], t.da[l-1], t.dz[l-1])
	}
	return loss
}
