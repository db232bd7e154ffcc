package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/also-project/also/report"
	"github.com/also-project/also/report/stats"
	"github.com/also-project/also/sotopia"
)

// Tag is one tag's episodes, restricted to what is plotted: each task's last attempt.
type Tag struct {
	Name     string
	Episodes []*sotopia.EpisodeLog
	// ArmNames names the pool's arms by index (the tag's strategy pool), for arms never played.
	ArmNames []string
}

// All builds every figure for the tags: per tag and seat an arm heat map, per seat the mean
// per-turn reward and (when any turn carries regret) the cumulative regret, and per seat the
// dimension bars. c is the comparison of the same tags (for the bars).
func All(tags []Tag, c report.Comparison) ([]Figure, error) {
	var figs []Figure
	stems := uniqueStems(tags)
	for i, t := range tags {
		for seat := range sotopia.Seats {
			f, ok, err := ArmHeatmap(t, seat)
			if err != nil {
				return nil, err
			}
			if ok {
				f.Name = fmt.Sprintf("arms_%s_p%d", stems[i], seat+1)
				figs = append(figs, f)
			}
		}
	}
	for seat := range sotopia.Seats {
		f, ok, err := TurnReward(tags, seat)
		if err != nil {
			return nil, err
		}
		if ok {
			figs = append(figs, f)
		}
	}
	for seat := range sotopia.Seats {
		f, ok, err := CumulativeRegret(tags, seat)
		if err != nil {
			return nil, err
		}
		if ok {
			figs = append(figs, f)
		}
	}
	for _, seat := range report.SeatNames {
		f, ok, err := DimensionBars(c, seat)
		if err != nil {
			return nil, err
		}
		if ok {
			figs = append(figs, f)
		}
	}
	return figs, nil
}

// uniqueStems gives each tag a distinct file stem (tags differing only in case or punctuation
// get a numeric suffix).
func uniqueStems(tags []Tag) []string {
	seen := map[string]int{}
	out := make([]string, len(tags))
	for i, t := range tags {
		s := FileStem(t.Name)
		seen[s]++
		if seen[s] > 1 {
			s = fmt.Sprintf("%s-%d", s, seen[s])
		}
		out[i] = s
	}
	return out
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// tableau10 are ten colours that stay apart from each other (Tableau's default palette).
var tableau10 = []color.NRGBA{
	{0x4e, 0x79, 0xa7, 255}, {0xf2, 0x8e, 0x2b, 255}, {0xe1, 0x57, 0x59, 255}, {0x76, 0xb7, 0xb2, 255}, {0x59, 0xa1, 0x4f, 255},
	{0xed, 0xc9, 0x48, 255}, {0xb0, 0x7a, 0xa1, 255}, {0xff, 0x9d, 0xa7, 255}, {0x9c, 0x75, 0x5f, 255}, {0xba, 0xb0, 0xac, 255},
}

// seriesColor is tag i's colour, the same in every figure.
func seriesColor(i int) color.Color { return tableau10[i%len(tableau10)] }

func translucent(c color.Color, alpha uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: alpha}
}

// ArmHeatmap shows, per turn, the share of the tag's scored-or-not episodes in which the seat
// played each arm. false when no turn records an arm for the seat.
func ArmHeatmap(t Tag, seat int) (Figure, bool, error) {
	g, armIDs := armShares(report.LastAttempts(t.Episodes), seat)
	if g == nil {
		return Figure{}, false, nil
	}
	// Two lines: derived tags are long, and the title must fit the figure.
	p := newPlot(fmt.Sprintf("%s\nseat p%d: arm active per turn (share of %d episodes)", t.Name, seat+1, len(report.LastAttempts(t.Episodes))), "turn", "")
	p.Add(&whiteToBlueHeat{g: g})
	// Each non-empty cell is labelled with its share, so no colour scale has to be read.
	var labels plotter.XYLabels
	var styles []text.Style
	for c := range g.turns {
		for r := range g.arms {
			z := g.Z(c, r)
			if z == 0 {
				continue
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: g.X(c), Y: g.Y(r)})
			labels.Labels = append(labels.Labels, fmt.Sprintf("%.0f%%", 100*z))
			small := plot.DefaultFont
			small.Size = vg.Points(8)
			st := text.Style{Color: color.Black, Font: small, XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
			if z > 0.55 {
				st.Color = color.White
			}
			styles = append(styles, st)
		}
	}
	if len(labels.XYs) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return Figure{}, false, err
		}
		l.TextStyle = styles
		p.Add(l)
	}
	var ticks []plot.Tick
	for r := range g.arms {
		name := armIDs[r]
		if name == "" && r < len(t.ArmNames) {
			name = t.ArmNames[r]
		}
		if name == "" {
			name = fmt.Sprintf("arm %d", r)
		}
		ticks = append(ticks, plot.Tick{Value: float64(r), Label: name})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	var xt []plot.Tick
	for c := 1; c <= g.turns; c++ {
		xt = append(xt, plot.Tick{Value: float64(c), Label: fmt.Sprint(c)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.X.Min, p.X.Max = 0.5, float64(g.turns)+0.5
	p.Y.Min, p.Y.Max = -0.5, float64(g.arms)-0.5
	p.Legend.Top = false
	h := vg.Points(math.Max(240, 60+18*float64(g.arms)))
	w := vg.Points(math.Max(520, 240+34*float64(g.turns)))
	return Figure{Caption: fmt.Sprintf("Tag %s, seat p%d: for each turn, the share of episodes in which each arm was active.", t.Name, seat+1),
		Plot: p, Width: w, Height: h}, true, nil
}

// armShares counts, per turn, the share of the episodes (with that turn) in which the seat's
// active arm was each arm; nil when no turn records an arm for the seat.
func armShares(eps []*sotopia.EpisodeLog, seat int) (*shareGrid, map[int]string) {
	counts := map[[2]int]int{} // (turn, arm) -> episodes
	perTurn := map[int]int{}
	armIDs := map[int]string{}
	maxTurn, maxArm := 0, -1
	for _, ep := range eps {
		for _, tr := range ep.Turns {
			if seat >= len(tr.Seats) || tr.Turn < 1 {
				continue
			}
			st := tr.Seats[seat]
			counts[[2]int{tr.Turn, st.Arm}]++
			perTurn[tr.Turn]++
			if st.ArmID != "" {
				armIDs[st.Arm] = st.ArmID
			}
			maxTurn = max(maxTurn, tr.Turn)
			maxArm = max(maxArm, st.Arm)
		}
	}
	if maxArm < 0 {
		return nil, nil
	}
	g := &shareGrid{turns: maxTurn, arms: maxArm + 1, z: make([]float64, maxTurn*(maxArm+1))}
	for k, n := range counts {
		g.z[(k[0]-1)*g.arms+k[1]] = float64(n) / float64(perTurn[k[0]])
	}
	return g, armIDs
}

// shareGrid is a turns x arms grid of shares; column c is turn c+1, row r is arm r.
type shareGrid struct {
	turns, arms int
	z           []float64
}

func (g *shareGrid) Dims() (int, int)             { return g.turns, g.arms }
func (g *shareGrid) Z(c, r int) float64           { return g.z[c*g.arms+r] }
func (g *shareGrid) X(c int) float64              { return float64(c + 1) }
func (g *shareGrid) Y(r int) float64              { return float64(r) }
func (g *shareGrid) cell(c, r int) (x, y float64) { return g.X(c), g.Y(r) }

// whiteToBlueHeat fills each cell from white (0) to dark blue (1): a share reads as ink.
type whiteToBlueHeat struct{ g *shareGrid }

func (h *whiteToBlueHeat) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for col := range h.g.turns {
		for row := range h.g.arms {
			z := h.g.Z(col, row)
			x, y := h.g.cell(col, row)
			rect := vg.Rectangle{
				Min: vg.Point{X: trX(x - 0.5), Y: trY(y - 0.5)},
				Max: vg.Point{X: trX(x + 0.5), Y: trY(y + 0.5)},
			}
			shade := func(full, light float64) uint8 { return uint8(light + (full-light)*z) }
			c.SetColor(color.RGBA{R: shade(8, 255), G: shade(48, 255), B: shade(107, 255), A: 255})
			c.Fill(rect.Path())
		}
	}
}

func (h *whiteToBlueHeat) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0.5, float64(h.g.turns) + 0.5, -0.5, float64(h.g.arms) - 0.5
}

// perTurn collects, per turn, one value per episode from f (false: no value this turn).
func perTurn(eps []*sotopia.EpisodeLog, f func(ep *sotopia.EpisodeLog, i int) (float64, bool)) map[int][]float64 {
	out := map[int][]float64{}
	for _, ep := range eps {
		for i, tr := range ep.Turns {
			if v, ok := f(ep, i); ok {
				out[tr.Turn] = append(out[tr.Turn], v)
			}
		}
	}
	return out
}

// bandPlot draws, per tag, the mean of per-turn samples with a 95% t band; false when empty.
func bandPlot(tags []Tag, title, ylabel string, sample func(ep *sotopia.EpisodeLog, i int) (float64, bool)) (*plot.Plot, *plot.Legend, bool, error) {
	p := newPlot(title, "turn", ylabel)
	leg := belowLegend()
	// Overlapping bands of many tags turn to mud: the more tags, the fainter each band.
	alpha := uint8(max(18, 60-8*len(tags)))
	any := false
	maxTurn := 0
	for i, t := range tags {
		byTurn := perTurn(report.LastAttempts(t.Episodes), sample)
		if len(byTurn) == 0 {
			continue
		}
		any = true
		turns := make([]int, 0, len(byTurn))
		for k := range byTurn {
			turns = append(turns, k)
		}
		sort.Ints(turns)
		var line, upper, lower plotter.XYs
		for _, k := range turns {
			s := stats.Describe(byTurn[k])
			line = append(line, plotter.XY{X: float64(k), Y: s.Mean})
			upper = append(upper, plotter.XY{X: float64(k), Y: s.Hi})
			lower = append(lower, plotter.XY{X: float64(k), Y: s.Lo})
			maxTurn = max(maxTurn, k)
		}
		band := append(plotter.XYs{}, upper...)
		for j := len(lower) - 1; j >= 0; j-- {
			band = append(band, lower[j])
		}
		poly, err := plotter.NewPolygon(band)
		if err != nil {
			return nil, nil, false, err
		}
		poly.Color = translucent(seriesColor(i), alpha)
		poly.LineStyle.Width = 0
		l, pts, err := plotter.NewLinePoints(line)
		if err != nil {
			return nil, nil, false, err
		}
		l.Color, pts.Color = seriesColor(i), seriesColor(i)
		l.Width = vg.Points(2)
		pts.Shape = draw.CircleGlyph{}
		pts.Radius = vg.Points(2.5)
		p.Add(poly, l, pts)
		leg.Add(t.Name, l, pts)
	}
	var xt []plot.Tick
	for k := 1; k <= maxTurn; k++ {
		xt = append(xt, plot.Tick{Value: float64(k), Label: fmt.Sprint(k)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.X.Min, p.X.Max = 0.7, float64(maxTurn)+0.3
	p.Y.Tick.Marker = roundTicks{}
	return p, leg, any, nil
}

// TurnReward is the mean per-turn reward of a seat by turn, per tag, with a 95% band.
func TurnReward(tags []Tag, seat int) (Figure, bool, error) {
	p, leg, ok, err := bandPlot(tags, fmt.Sprintf("seat p%d: mean per-turn reward (95%% CI band)", seat+1), "reward",
		func(ep *sotopia.EpisodeLog, i int) (float64, bool) {
			tr := ep.Turns[i]
			if seat < len(tr.Seats) && tr.Seats[seat].Reward != nil {
				return *tr.Seats[seat].Reward, true
			}
			return 0, false
		})
	if err != nil || !ok {
		return Figure{}, ok, err
	}
	return Figure{Name: fmt.Sprintf("reward_p%d", seat+1), Caption: fmt.Sprintf("Seat p%d: the per-turn reward averaged over episodes at each turn; the band is the 95%% t interval.", seat+1),
		Plot: p, Width: 16 * vg.Centimeter, Height: 9*vg.Centimeter + legendRow*vg.Length(len(tags)), Legend: leg, LegendRows: len(tags)}, true, nil
}

// CumulativeRegret is the mean of each episode's regret summed up to each turn (sim world); an
// episode that ended earlier no longer counts at later turns.
func CumulativeRegret(tags []Tag, seat int) (Figure, bool, error) {
	p, leg, ok, err := bandPlot(tags, fmt.Sprintf("seat p%d: cumulative regret (95%% CI band)", seat+1), "regret summed to this turn",
		func(ep *sotopia.EpisodeLog, i int) (float64, bool) {
			var sum float64
			seen := false
			for _, tr := range ep.Turns[:i+1] {
				if seat < len(tr.Seats) && tr.Seats[seat].Regret != nil {
					sum += *tr.Seats[seat].Regret
					seen = true
				}
			}
			return sum, seen
		})
	if err != nil || !ok {
		return Figure{}, ok, err
	}
	// Regret is never negative: start the axis at 0 so curves compare by height.
	if p.Y.Min > 0 {
		p.Y.Min = 0
	}
	return Figure{Name: fmt.Sprintf("regret_p%d", seat+1), Caption: fmt.Sprintf("Seat p%d: regret of the arms played, summed up to each turn and averaged over episodes; band: 95%% t interval.", seat+1),
		Plot: p, Width: 16 * vg.Centimeter, Height: 9*vg.Centimeter + legendRow*vg.Length(len(tags)), Legend: leg, LegendRows: len(tags)}, true, nil
}

// DimensionBars shows each Sotopia dimension and Overall for one seat row of the comparison, one
// bar per tag, with 95% CI whiskers. false when no tag has scores.
func DimensionBars(c report.Comparison, seat string) (Figure, bool, error) {
	metrics := []string{report.MetricOverall}
	for _, d := range sotopia.Dimensions {
		metrics = append(metrics, d.Key)
	}
	any := false
	for _, t := range c.Tags {
		if t.Seat(seat).Metrics[report.MetricOverall].N > 0 {
			any = true
		}
	}
	if !any {
		return Figure{}, false, nil
	}
	title := fmt.Sprintf("seat %s: Sotopia dimensions (mean, 95%% CI), %s episodes", seat, c.EvalSet)
	if seat == "avg" {
		title = fmt.Sprintf("mean of both seats: Sotopia dimensions (mean, 95%% CI), %s episodes", c.EvalSet)
	}
	p := newPlot(title, "", "score (raw Sotopia scale)")
	leg := belowLegend()
	k := float64(len(c.Tags))
	width := 0.8 / k
	for i, t := range c.Tags {
		var errs plotter.YErrorBars
		for j, m := range metrics {
			s := t.Seat(seat).Metrics[m]
			if s.N == 0 {
				continue
			}
			x := float64(j) + (float64(i)-(k-1)/2)*width
			bar, err := plotter.NewPolygon(plotter.XYs{{X: x - width/2, Y: 0}, {X: x + width/2, Y: 0}, {X: x + width/2, Y: s.Mean}, {X: x - width/2, Y: s.Mean}})
			if err != nil {
				return Figure{}, false, err
			}
			bar.Color = seriesColor(i)
			bar.LineStyle.Width = 0
			p.Add(bar)
			if j == 0 {
				leg.Add(t.Tag, bar)
			}
			if s.Defined {
				errs.XYs = append(errs.XYs, plotter.XY{X: x, Y: s.Mean})
				errs.YErrors = append(errs.YErrors, struct{ Low, High float64 }{s.Mean - s.Lo, s.Hi - s.Mean})
			}
		}
		if len(errs.XYs) > 0 {
			errs.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
			errs.CapWidth = vg.Points(4)
			p.Add(&errs)
		}
	}
	var names []string
	for _, m := range metrics {
		names = append(names, report.MetricLabel(m))
	}
	p.NominalX(names...)
	p.Y.Tick.Marker = roundTicks{}
	p.Add(plotter.NewFunction(func(float64) float64 { return 0 }))
	return Figure{Name: "dimensions_" + seat, Caption: fmt.Sprintf("Seat %s: every Sotopia dimension and Overall per tag; whiskers are 95%% t intervals (none when n < 2).", seat),
		Plot: p, Width: 18 * vg.Centimeter, Height: 9*vg.Centimeter + legendRow*vg.Length(len(c.Tags)), Legend: leg, LegendRows: len(c.Tags)}, true, nil
}

// roundTicks marks the axis at multiples of 1, 2 or 5 times a power of ten, about six of them,
// so a reader gets whole-number scores rather than 12.5 / 2.5 / -7.5.
type roundTicks struct{}

func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if span <= 0 || math.IsInf(span, 0) || math.IsNaN(span) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := span / 6
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.4g", v)})
	}
	return ticks
}
