// Command asmgen generates nn's AVX2/FMA and AVX-512 kernels (../../kernels_amd64.s and the Go
// declarations in ../../kernels_stubs_amd64.go) with avo. Run `go generate ./nn` after editing.
//
// Every kernel works on a multiple of 8 elements (the Go wrappers do the tail with the scalar
// kernels) and performs, per element, exactly the scalar kernels' IEEE operations in the same
// order, so all paths agree bit for bit. A dot product keeps eight lane partial sums (lane l
// takes the terms i = l mod 8): AVX2 holds them in two ymm registers, AVX-512 in one zmm.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa is one vector width: AVX2 (4 float64 per ymm, two registers per 8 elements) or AVX-512
// (8 per zmm, one register).
type isa struct {
	name  string
	width int
	vec   func() reg.VecVirtual
}

func (s isa) parts() int { return 8 / s.width }

var isas = []isa{
	{name: "AVX2", width: 4, vec: YMM},
	{name: "AVX512", width: 8, vec: ZMM},
}

// elem is element i+off of the float64 array at base, as a vector memory operand.
func elem(base, i reg.Register, off int) Mem {
	return Mem{Base: base, Index: i, Scale: 8, Disp: 8 * off}
}

func main() {
	ConstraintExpr("!purego")
	for _, s := range isas {
		dotLanes(s)
		dotLanes4(s)
		axpy4(s)
		axpy(s)
		adam(s)
		sgd(s)
		adamFused(s)
		sqrtDiv(s)
		stream3(s)
	}
	Generate()
}

// loop emits `for i := 0; i < n; i += 8 { body(i) }` and the return.
func loop(n reg.Register, body func(i reg.Register)) {
	loopThen(n, body, func() {})
}

// loopThen is loop with after emitted between the loop and the return (storing lane sums).
func loopThen(n reg.Register, body func(i reg.Register), after func()) {
	i := GP64()
	XORQ(i, i)
	Label("loop")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	body(i)
	ADDQ(U8(8), i)
	JMP(LabelRef("loop"))
	Label("done")
	after()
	VZEROUPPER()
	RET()
}

// arg loads the named argument (a pointer or a length) into a general register.
func arg(name string) reg.Register { return Load(Param(name), GP64()) }

func broadcast(s isa, m Mem) reg.VecVirtual {
	r := s.vec()
	VBROADCASTSD(m, r)
	return r
}

// broadcastAll broadcasts each of the float64s at base[0:len(dst)] into dst: registers, or
// (inMemory, for kernels short of registers) slots of a stack frame used as memory operands.
func broadcastAll(s isa, base reg.Register, dst []Op, inMemory bool) {
	var frame Mem
	if inMemory {
		frame = AllocLocal(len(dst) * 8 * s.width)
	}
	for j := range dst {
		r := broadcast(s, Mem{Base: base, Disp: 8 * j})
		if inMemory {
			slot := frame.Offset(8 * s.width * j)
			VMOVUPD(r, slot)
			dst[j] = slot
		} else {
			dst[j] = r
		}
	}
}

// laneSums is groups of eight dot-product lane sums, group q held in acc[8q:8q+8] between calls.
type laneSums [][]reg.VecVirtual

// loadSums loads groups lane-sum groups from acc into registers.
func loadSums(s isa, acc reg.Register, groups int) laneSums {
	sums := make(laneSums, groups)
	for q := range sums {
		sums[q] = make([]reg.VecVirtual, s.parts())
		for h := range sums[q] {
			sums[q][h] = s.vec()
			VMOVUPD(sumSlot(s, acc, q, h), sums[q][h])
		}
	}
	return sums
}

// store writes the sums back to acc.
func (sums laneSums) store(s isa, acc reg.Register) {
	for q := range sums {
		for h := range sums[q] {
			VMOVUPD(sums[q][h], sumSlot(s, acc, q, h))
		}
	}
}

// sumSlot is where part h of group q lives in acc.
func sumSlot(s isa, acc reg.Register, q, h int) Mem {
	return Mem{Base: acc, Disp: 8 * (8*q + s.width*h)}
}

// dotLanes(w, x, n, acc): acc[l] += sum over i = l mod 8 of x[i]*w[i], by FMA in order of i.
func dotLanes(s isa) {
	TEXT("dotLanes"+s.name, NOSPLIT, "func(w, x *float64, n int, acc *[8]float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("dotLanes%s is dotLanes over n (a multiple of 8) elements.", s.name))
	w, x, n, acc := arg("w"), arg("x"), arg("n"), arg("acc")
	sums := loadSums(s, acc, 1)
	loopThen(n, func(i reg.Register) {
		for h, sum := range sums[0] {
			t := s.vec()
			VMOVUPD(elem(x, i, s.width*h), t)
			VFMADD231PD(elem(w, i, s.width*h), t, sum)
		}
	}, func() { sums.store(s, acc) })
}

// dotLanes4(w, x0..x3, n, acc): dotLanes of w with each x_k into acc[8k:8k+8], sharing w's loads.
func dotLanes4(s isa) {
	TEXT("dotLanes4"+s.name, NOSPLIT, "func(w, x0, x1, x2, x3 *float64, n int, acc *[32]float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("dotLanes4%s is dotLanes4 over n (a multiple of 8) elements.", s.name))
	w := arg("w")
	xs := []reg.Register{arg("x0"), arg("x1"), arg("x2"), arg("x3")}
	n, acc := arg("n"), arg("acc")
	sums := loadSums(s, acc, len(xs))
	loopThen(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			wv := s.vec()
			VMOVUPD(elem(w, i, s.width*h), wv)
			for k := range xs {
				VFMADD231PD(elem(xs[k], i, s.width*h), wv, sums[k][h])
			}
		}
	}, func() { sums.store(s, acc) })
}

// axpy4(a, x0..x3, y, n): y += a0 x0 + a1 x1 + a2 x2 + a3 x3, one FMA per term in that order.
func axpy4(s isa) {
	TEXT("axpy4"+s.name, NOSPLIT, "func(a *[4]float64, x0, x1, x2, x3, y *float64, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("axpy4%s is axpy4 over n (a multiple of 8) elements.", s.name))
	pa := arg("a")
	xs := []reg.Register{arg("x0"), arg("x1"), arg("x2"), arg("x3")}
	y, n := arg("y"), arg("n")
	var as [4]Op
	broadcastAll(s, pa, as[:], false)
	loop(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			acc := s.vec()
			VMOVUPD(elem(y, i, s.width*h), acc)
			for k := range xs {
				VFMADD231PD(elem(xs[k], i, s.width*h), as[k], acc)
			}
			VMOVUPD(acc, elem(y, i, s.width*h))
		}
	})
}

// axpy(a, x, y, n): y += a x by FMA.
func axpy(s isa) {
	TEXT("axpy"+s.name, NOSPLIT, "func(a *float64, x, y *float64, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("axpy%s is axpy over n (a multiple of 8) elements.", s.name))
	av := broadcast(s, Mem{Base: arg("a")})
	x, y, n := arg("x"), arg("y"), arg("n")
	loop(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			acc := s.vec()
			VMOVUPD(elem(y, i, s.width*h), acc)
			VFMADD231PD(elem(x, i, s.width*h), av, acc)
			VMOVUPD(acc, elem(y, i, s.width*h))
		}
	})
}

// adamConsts' field offsets (nn/kernels.go), in float64s.
const (
	cBeta1 = iota
	cOneMinusBeta1
	cBeta2
	cOneMinusBeta2
	cInvSqrtBC2
	cEps
	cNegStep
	cWd
	nConsts
)

// constants holds adamConsts broadcast: in registers, or (AVX2 adamFused, short of registers)
// in a stack frame used as memory operands.
type constants [nConsts]Op

func loadConsts(s isa, c reg.Register, inMemory bool) constants {
	var k constants
	broadcastAll(s, c, k[:], inMemory)
	return k
}

// adamStep emits one Adam element step on the vector at offset off (scalar adamScalar):
//
//	g = fma(w, wd, g); m = fma(m, b1, g*(1-b1)); v = fma(v, b2, (g*(1-b2))*g)
//	den = fma(sqrt(v), invSqrtBC2, eps); w = fma(m/den, negStep, w)
//
// with g already in a register; it returns the updated w register.
func adamStep(s isa, k constants, g reg.VecVirtual, w, m, v reg.Register, i reg.Register, off int) reg.VecVirtual {
	// A constant is always the first (memory-capable) operand; products commute bit for bit.
	wv := s.vec()
	VMOVUPD(elem(w, i, off), wv)
	VFMADD231PD(k[cWd], wv, g)
	mv, mOld := s.vec(), s.vec()
	VMULPD(k[cOneMinusBeta1], g, mv)
	VMOVUPD(elem(m, i, off), mOld)
	VFMADD231PD(k[cBeta1], mOld, mv)
	vv, vOld := s.vec(), s.vec()
	VMULPD(k[cOneMinusBeta2], g, vv)
	VMULPD(g, vv, vv)
	VMOVUPD(elem(v, i, off), vOld)
	VFMADD231PD(k[cBeta2], vOld, vv)
	VMOVUPD(mv, elem(m, i, off))
	VMOVUPD(vv, elem(v, i, off))
	root, den := s.vec(), s.vec()
	VSQRTPD(vv, root)
	VMOVUPD(k[cEps], den)
	VFMADD231PD(k[cInvSqrtBC2], root, den)
	q := s.vec()
	VDIVPD(den, mv, q)
	VFMADD231PD(k[cNegStep], q, wv)
	VMOVUPD(wv, elem(w, i, off))
	return wv
}

// adam(w, m, v, g, n, c): one Adam step.
func adam(s isa) {
	TEXT("adam"+s.name, NOSPLIT, "func(w, m, v, grad *float64, n int, c *[8]float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("adam%s is adam over n (a multiple of 8) elements.", s.name))
	w, m, v, g, n := arg("w"), arg("m"), arg("v"), arg("grad"), arg("n")
	k := loadConsts(s, arg("c"), false)
	loop(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			gv := s.vec()
			VMOVUPD(elem(g, i, s.width*h), gv)
			adamStep(s, k, gv, w, m, v, i, s.width*h)
		}
	})
}

// sgd(w, g, n, p): w = fma(fma(w, wd, g), -lr, w) with p = {-lr, wd}.
func sgd(s isa) {
	TEXT("sgd"+s.name, NOSPLIT, "func(w, grad *float64, n int, p *[2]float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("sgd%s is sgd over n (a multiple of 8) elements.", s.name))
	w, g, n, p := arg("w"), arg("grad"), arg("n"), arg("p")
	neg, wd := broadcast(s, Mem{Base: p}), broadcast(s, Mem{Base: p, Disp: 8})
	loop(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			wv, gv := s.vec(), s.vec()
			VMOVUPD(elem(w, i, s.width*h), wv)
			VMOVUPD(elem(g, i, s.width*h), gv)
			VFMADD231PD(wd, wv, gv)
			VFMADD231PD(neg, gv, wv)
			VMOVUPD(wv, elem(w, i, s.width*h))
		}
	})
}

// adamFused(w, m, v, g, n, c, a, rows, acc): per element, g += a0 gx0 + .. + a3 gx3 (axpy4),
// the Adam step, then the updated w into the dot-product lanes of dx0..dx3 (acc as dotLanes4).
// rows holds gx0..gx3, dx0..dx3. g is scratch, left zeroed: the next unit's gradient
// accumulates into it without a clearing pass.
func adamFused(s isa) {
	TEXT("adamFused"+s.name, NOSPLIT, "func(w, m, v, grad *float64, n int, c *[8]float64, a *[4]float64, rows *[8]*float64, acc *[32]float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("adamFused%s is adamFused over n (a multiple of 8) elements.", s.name))
	w, m, v, g, n := arg("w"), arg("m"), arg("v"), arg("grad"), arg("n")
	k := loadConsts(s, arg("c"), s.width == 4)
	pa, rows, acc := arg("a"), arg("rows"), arg("acc")
	var as [4]Op
	broadcastAll(s, pa, as[:], s.width == 4)
	var gx, dx [4]reg.Register
	for q := range 4 {
		gx[q] = GP64()
		MOVQ(Mem{Base: rows, Disp: 8 * q}, gx[q])
		dx[q] = GP64()
		MOVQ(Mem{Base: rows, Disp: 8 * (4 + q)}, dx[q])
	}
	sums := loadSums(s, acc, len(dx))
	zero := s.vec()
	VXORPD(zero, zero, zero)
	loopThen(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			off := s.width * h
			gv := s.vec()
			VMOVUPD(elem(g, i, off), gv)
			VMOVUPD(zero, elem(g, i, off))
			for q := range gx {
				t := s.vec()
				VMOVUPD(elem(gx[q], i, off), t)
				VFMADD231PD(as[q], t, gv)
			}
			wv := adamStep(s, k, gv, w, m, v, i, off)
			for q := range dx {
				VFMADD231PD(elem(dx[q], i, off), wv, sums[q][h])
			}
		}
	}, func() { sums.store(s, acc) })
}

// sqrtDiv(x, y, n): y = x / sqrt(x), the divider work of one Adam element (one square root and
// one division), for measuring this CPU's throughput of it (nn.MeasureFloor).
func sqrtDiv(s isa) {
	TEXT("sqrtDiv"+s.name, NOSPLIT, "func(x, y *float64, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("sqrtDiv%s is y = x / sqrt(x) over n (a multiple of 8) elements.", s.name))
	x, y, n := arg("x"), arg("y"), arg("n")
	loop(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			xv, r, q := s.vec(), s.vec(), s.vec()
			VMOVUPD(elem(x, i, s.width*h), xv)
			VSQRTPD(xv, r)
			VDIVPD(r, xv, q)
			VMOVUPD(q, elem(y, i, s.width*h))
		}
	})
}

// stream3(w, m, v, n, c): w, m, v += c, reading and writing the three arrays once like an Adam
// step does, for measuring the bandwidth of its memory traffic (nn.MeasureFloor).
func stream3(s isa) {
	TEXT("stream3"+s.name, NOSPLIT, "func(w, m, v *float64, n int, c *float64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("stream3%s adds *c to n (a multiple of 8) elements of w, m and v.", s.name))
	w, m, v, n := arg("w"), arg("m"), arg("v"), arg("n")
	cv := broadcast(s, Mem{Base: arg("c")})
	loop(n, func(i reg.Register) {
		for h := 0; h < s.parts(); h++ {
			for _, b := range []reg.Register{w, m, v} {
				t := s.vec()
				VADDPD(elem(b, i, s.width*h), cv, t)
				VMOVUPD(t, elem(b, i, s.width*h))
			}
		}
	})
}
