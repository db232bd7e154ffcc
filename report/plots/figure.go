// Package plots draws the figures of `also plot` and `also report` with gonum/plot: the arms each
// seat played per turn (a heat map across episodes), the mean per-turn reward with its 95% band,
// cumulative regret curves (sim world) and per-dimension bars across tags with 95% CIs.
package plots

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/also-project/also/internal/atomicfile"
)

func init() {
	// Sans text reads better at small sizes and falls back cleanly in browsers (SVG names fonts).
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
}

// Figure is one named plot with its size.
type Figure struct {
	// Name is the file stem: lower case, digits, '_' and '-'.
	Name string
	// Caption says in a sentence what the figure shows.
	Caption string
	Plot    *plot.Plot
	Width   vg.Length
	Height  vg.Length
	// Legend, when set, is drawn below the plot, one row per entry, so it never covers data
	// however many tags there are; Height includes its rows.
	Legend     *plot.Legend
	LegendRows int
}

// legendRow is the height of one legend entry below a plot.
const legendRow = vg.Length(11)

// belowLegend makes a legend for below a plot: entries left-aligned, one per row.
func belowLegend() *plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font.Size = vg.Points(10)
	l.Padding = 0
	return &l
}

func (f Figure) draw(c draw.Canvas) {
	if f.Legend == nil || f.LegendRows == 0 {
		f.Plot.Draw(c)
		return
	}
	h := legendRow*vg.Length(f.LegendRows) + vg.Points(6)
	f.Plot.Draw(draw.Crop(c, 0, 0, h, 0))
	f.Legend.Draw(draw.Crop(c, vg.Points(48), 0, 0, -(c.Max.Y - c.Min.Y - h)))
}

// SVG renders the figure as a standalone SVG document.
func (f Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.Width, f.Height)
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: svg: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// PNG renders the figure at 144 dpi (sharp on laptop screens).
func (f Figure) PNG() ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(144))}
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: png: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// Save writes dir/<name>.png and dir/<name>.svg and returns the paths written. It never replaces
// an existing file: a figure already there is an error naming it.
func (f Figure) Save(dir string) ([]string, error) {
	var written []string
	for _, ext := range []string{"png", "svg"} {
		var b []byte
		var err error
		if ext == "png" {
			b, err = f.PNG()
		} else {
			b, err = f.SVG()
		}
		if err != nil {
			return written, err
		}
		path := filepath.Join(dir, f.Name+"."+ext)
		if err := atomicfile.WriteNewFile(path, b, 0o644); err != nil {
			return written, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		written = append(written, path)
	}
	return written, nil
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_-]+`)

// FileStem turns a tag into a file-name part: lower case, other characters as '-'.
func FileStem(tag string) string {
	s := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(tag), "-"), "-")
	if s == "" {
		return "untagged"
	}
	return s
}
