package nn

// update applies one optimiser step for the batch rows (gradients from forwardBackward) at
// learning rate lr, and computes the first-layer pre-activations of t.rowsNext into t.zNext.
func (t *trainer) update(rows []int, lr float64) {
	scale := 1.0
	if t.cfg.ClipNorm > 0 {
		scale = t.cfg.clipScale(t.gradNormSq(rows))
	}
	t.step++
	var ac adamConsts
	if t.cfg.Optimizer == Adam {
		ac = newAdamConsts(lr, t.cfg.WeightDecay, t.step)
	}
	apply := func(w, m, v, g []float64) {
		if scale != 1 {
			for i := range g {
				g[i] *= scale
			}
		}
		if t.cfg.Optimizer == Adam {
			t.k.adam(w, m, v, g, &ac)
		} else {
			t.k.sgd(w, g, lr, t.cfg.WeightDecay)
		}
	}
	for l := range t.net.Layers {
		if l > 0 {
			apply(t.net.Layers[l].Weights(), t.mW[l], t.vW[l], t.gW[l])
		}
		apply(t.net.Layers[l].Bias(), t.mB[l], t.vB[l], t.gB[l])
	}
	t.fusedFirstLayer(len(rows), scale, lr, &ac)
}

// gradNormSq is the squared global L2 norm of all gradients. The first layer's weight gradient
// G = D^T X (D = dz[0], X = batch rows) is never formed: ||G||_F^2 = sum_{r,s} (d_r.d_s)(x_r.x_s),
// and the x_r.x_s come from the Gram matrix of the data.
func (t *trainer) gradNormSq(rows []int) float64 {
	sum := 0.0
	for l := range t.net.Layers {
		for _, v := range t.gW[l] {
			sum += v * v
		}
		for _, v := range t.gB[l] {
			sum += v * v
		}
	}
	w, n := t.width[1], t.data.N
	d := t.dz[0]
	for r, i := range rows {
		dr := d[r*w : (r+1)*w]
		for s, j := range rows[:r+1] {
			ds := d[s*w : (s+1)*w]
			dd := 0.0
			for o, v := range dr {
				dd += v * ds[o]
			}
			term := dd * t.gram[i*n+j]
			if s != r {
				term *= 2
			}
			sum += term
		}
	}
	return sum
}

// fusedFirstLayer streams once over the first layer's weights (and Adam moments), one output
// unit (row) and blockLen columns at a time: it forms that block of the gradient row
// sum_r scale*dz[r,o] x_r, applies the optimiser, and accumulates the updated block's dot
// products with the next batch's rows. The next batch's pre-activations equal
// linearForward's on the updated weights bit for bit: the dot-product lanes run through the
// blocks in order and are summed exactly as finishDot does.
func (t *trainer) fusedFirstLayer(batch int, scale, lr float64, ac *adamConsts) {
	l0 := t.net.Layers[0]
	in, units := l0.In, l0.Out
	n4 := in &^ 3
	w, bias := l0.Weights(), l0.Bias()
	adam := t.cfg.Optimizer == Adam
	next := t.rowsNext
	for o := 0; o < units; o++ {
		for r := 0; r < batch; r++ {
			t.coef[r] = scale * t.dz[0][r*units+o]
		}
		lanes := t.lanes[:4*len(next)]
		clear(lanes)
		wRow := w[o*in : (o+1)*in]
		var mRow, vRow []float64
		if adam {
			mRow, vRow = t.mW[0][o*in:(o+1)*in], t.vW[0][o*in:(o+1)*in]
		}
		for s := 0; s < in; s += blockLen {
			e := min(s+blockLen, in)
			g := t.blk[:e-s]
			clear(g)
			t.blockGradient(batch, s, e, g)
			if adam {
				t.k.adam(wRow[s:e], mRow[s:e], vRow[s:e], g, ac)
			} else {
				t.k.sgd(wRow[s:e], g, lr, t.cfg.WeightDecay)
			}
			e4 := min(e, n4)
			if e4 <= s {
				continue
			}
			r := 0
			for ; r+4 <= len(next); r += 4 {
				t.k.dotLanes4(wRow[s:e4], next[r][s:], next[r+1][s:], next[r+2][s:], next[r+3][s:], (*[16]float64)(lanes[4*r:4*r+16]))
			}
			for ; r < len(next); r++ {
				t.k.dotLanes(wRow[s:e4], next[r][s:], (*[4]float64)(lanes[4*r:4*r+4]))
			}
		}
		for r, x := range next {
			t.zNext[r*units+o] = finishDot((*[4]float64)(lanes[4*r:4*r+4]), wRow[n4:], x[n4:in]) + bias[o]
		}
	}
}

// blockGradient adds columns [s, e) of the clipped first-layer gradient row for the current
// unit (coefficients in t.coef) into g.
func (t *trainer) blockGradient(batch, s, e int, g []float64) {
	x := t.rowsX
	r := 0
	for ; r+4 <= batch; r += 4 {
		t.k.axpy4((*[4]float64)(t.coef[r:r+4]), x[r][s:e], x[r+1][s:e], x[r+2][s:e], x[r+3][s:e], g)
	}
	for ; r < batch; r++ {
		t.k.axpy(t.coef[r], x[r][s:e], g)
	}
}
