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

// fusedFirstLayer streams once over the first layer's weights (and Adam moments), blockLen
// columns at a time and, within a block, one output unit (row) at a time: it forms that block of
// the unit's gradient row sum_r scale*dz[r,o] x_r, applies the optimiser, and accumulates the
// updated block's dot products with the next batch's rows. Columns are the outer loop so the
// batch rows' block stays in cache for all units (with units outer, every unit re-read all the
// rows from L3 or memory: three times the traffic of the weights and moments). Rows go four at
// a time; a short last group is padded with coefficient 0 (gradient) or a discarded lane set
// (forward), which costs FMAs the divider hides but no extra pass. The next batch's
// pre-activations equal linearForward's on the updated weights bit for bit: each unit's
// dot-product lanes run through the blocks in order and are summed exactly as finishDot does.
func (t *trainer) fusedFirstLayer(batch int, scale, lr float64, ac *adamConsts) {
	l0 := t.net.Layers[0]
	in, units := l0.In, l0.Out
	n8 := in &^ (lanes - 1)
	w, bias := l0.Weights(), l0.Bias()
	adam := t.cfg.Optimizer == Adam
	x, next := t.rowsX[:batch], t.rowsNext
	gradGroups := (batch + 3) / 4
	dotGroups := (len(next) + 3) / 4
	perUnit := 4 * lanes * max(dotGroups, 1) // lanes of one unit
	acc := t.lanes[:units*perUnit]
	clear(acc)
	coefs := t.coef[:units*4*gradGroups]
	for o := 0; o < units; o++ {
		for r := range 4 * gradGroups {
			c := 0.0
			if r < batch {
				c = scale * t.dz[0][r*units+o]
			}
			coefs[o*4*gradGroups+r] = c
		}
	}
	gxs, dxs := t.gxs[:0], t.dxs[:0]
	for s := 0; s < in; s += blockLen {
		e := min(s+blockLen, in)
		e8 := max(min(e, n8), s)
		// The block's row groups are the same for every unit.
		gxs, dxs = groups(gxs[:0], x, gradGroups, s, e), groups(dxs[:0], next, dotGroups, s, e)
		last := gradGroups - 1 // its axpy4 goes with the optimiser step (fused under Adam)
		gx := &gxs[last]
		n := e8 - s // columns the dot-product lanes take; finishDot does the rest
		for o := 0; o < units; o++ {
			row := o * in
			wBlk := w[row+s : row+e]
			var mBlk, vBlk []float64
			if adam {
				mBlk, vBlk = t.mW[0][row+s:row+e], t.vW[0][row+s:row+e]
			}
			coef := coefs[o*4*gradGroups : (o+1)*4*gradGroups]
			lane := acc[o*perUnit : (o+1)*perUnit]
			g := t.blk[:e-s] // zero: grow cleared it and every use leaves it so
			for q := range last {
				gq := &gxs[q]
				t.k.axpy4((*[4]float64)(coef[4*q:4*q+4]), gq[0], gq[1], gq[2], gq[3], g)
			}
			lastCoef := (*[4]float64)(coef[4*last : 4*last+4])
			firstDot := 0
			if adam && dotGroups > 0 {
				t.k.adamFused(wBlk, mBlk, vBlk, g, ac, lastCoef, gx, &dxs[0], (*[4 * lanes]float64)(lane[:4*lanes]))
				firstDot = 1
			} else {
				t.k.axpy4(lastCoef, gx[0], gx[1], gx[2], gx[3], g)
				if adam {
					t.k.adam(wBlk, mBlk, vBlk, g, ac)
				} else {
					t.k.sgd(wBlk, g, lr, t.cfg.WeightDecay)
				}
				clear(g)
			}
			for q := firstDot; q < dotGroups; q++ {
				dx := &dxs[q]
				t.k.dotLanes4(w[row+s:row+e8], dx[0][:n], dx[1][:n], dx[2][:n], dx[3][:n], (*[4 * lanes]float64)(lane[4*lanes*q:4*lanes*(q+1)]))
			}
		}
	}
	t.gxs, t.dxs = gxs, dxs
	for o := 0; o < units; o++ {
		wRow := w[o*in : (o+1)*in]
		lane := acc[o*perUnit : (o+1)*perUnit]
		for r, xr := range next {
			t.zNext[r*units+o] = finishDot((*[lanes]float64)(lane[lanes*r:lanes*(r+1)]), wRow[n8:], xr[n8:in]) + bias[o]
		}
	}
}

// groups appends, per group of four rows, the rows' columns [s, e); a short last group repeats
// its first row (its coefficient is 0, or its lanes are discarded).
func groups(dst [][4][]float64, rows [][]float64, count, s, e int) [][4][]float64 {
	for q := range count {
		var g [4][]float64
		for k := range 4 {
			r := 4*q + k
			if r >= len(rows) {
				r = 4 * q
			}
			g[k] = rows[r][s:e]
		}
		dst = append(dst, g)
	}
	return dst
}
