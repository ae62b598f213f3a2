package chart

import (
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"neonet.dev/neonet/internal/atomicfile"
)

// MaxClasses bounds a confusion matrix's size (and so the image's).
const MaxClasses = 100

const (
	cellPx        = 48  // one cell, enough for a four-digit count
	labelColumnPx = 160 // class names left of the rows and under the columns
)

// Confusion renders a confusion matrix as a PNG to w: one row per true
// class, top to bottom, one column per predicted class, each cell showing
// its count and shaded by its share of the row, so that the diagonal is
// each class's recall at a glance.
func Confusion(w io.Writer, classes []string, counts [][]int, title string) error {
	n := len(classes)
	if n == 0 || n > MaxClasses || len(counts) != n {
		return fmt.Errorf("chart: confusion matrix of %d classes with %d rows: want 1 to %d classes, one row each", n, len(counts), MaxClasses)
	}
	for i, row := range counts {
		if len(row) != n {
			return fmt.Errorf("chart: confusion matrix row %d has %d counts, want %d", i, len(row), n)
		}
	}
	labels := make([]string, n)
	for i, c := range classes {
		labels[i] = truncate(c, 20)
	}
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(monoBold, 14)
	p.Title.Padding = 8
	p.X.Label.Text, p.Y.Label.Text = "predicted", "true class"
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(mono, 11)
		a.Tick.Label.Font = font.From(mono, labelSize)
	}
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.NominalX(labels...)
	reversed := make([]string, n)
	for i, l := range labels {
		reversed[n-1-i] = l
	}
	p.NominalY(reversed...)
	p.Add(&cells{counts: counts})
	size := n*cellPx + labelColumnPx + overheadPx
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(size), vg.Length(size)), vgimg.UseDPI(72))
	p.Draw(draw.Crop(draw.New(c), margin, -margin, margin/2, -margin/2))
	if err := png.Encode(w, c.Image()); err != nil {
		return fmt.Errorf("chart: encode png: %w", err)
	}
	return nil
}

// SaveConfusion writes the confusion matrix PNG to path atomically.
func SaveConfusion(path string, classes []string, counts [][]int, title string) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return Confusion(w, classes, counts, title) }); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// cells draws the matrix: a shaded square per cell with its count.
type cells struct{ counts [][]int }

func (m *cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(m.counts))
	return -0.5, n - 0.5, -0.5, n - 0.5
}

func (m *cells) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	n := len(m.counts)
	sty := text.Style{Font: font.From(mono, labelSize), XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
	for i, row := range m.counts {
		total := 0
		for _, v := range row {
			total += v
		}
		y := float64(n - 1 - i)
		for j, v := range row {
			share := 0.0
			if total > 0 {
				share = float64(v) / float64(total)
			}
			x := float64(j)
			rect := vg.Rectangle{Min: vg.Point{X: trX(x - 0.5), Y: trY(y - 0.5)}, Max: vg.Point{X: trX(x + 0.5), Y: trY(y + 0.5)}}
			c.SetColor(shade(share))
			c.Fill(rect.Path())
			sty.Color = noteColor
			if share > 0.55 {
				sty.Color = color.White
			}
			c.FillText(sty, vg.Point{X: trX(x), Y: trY(y)}, strconv.Itoa(v))
		}
	}
}

// shade blends white into the bars' blue by share (0..1).
func shade(share float64) color.Color {
	mix := func(to uint8) uint8 { return uint8(math.Round(255 - share*(255-float64(to)))) }
	return color.RGBA{R: mix(normalColor.R), G: mix(normalColor.G), B: mix(normalColor.B), A: 0xff}
}
