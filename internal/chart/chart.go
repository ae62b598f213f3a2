package chart

import (
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"neonet.dev/neonet/internal/atomicfile"
)

// Bar is one row of the chart.
type Bar struct {
	Label string
	// Value may be negative. ±Inf is drawn clipped to the largest finite
	// magnitude on that side and annotated; NaN draws no bar, only a note.
	Value float64
	// Highlight draws the bar in the warning colour. The caller decides
	// (e.g. SQNR below threshold), since "bad" means low for SQNR but high
	// for latency.
	Highlight bool
}

// Options control the chart's text and size. The zero value is usable.
type Options struct {
	Title, XLabel string
	// Threshold draws a dashed vertical reference line at this value if != 0.
	Threshold float64
	// Width is the image width in pixels; 0 means DefaultWidth.
	Width int
}

const (
	// DefaultWidth is the image width used when Options.Width is 0.
	DefaultWidth = 1200
	// MinWidth keeps room for labels plus a visible plot area.
	MinWidth = 400
	// MaxWidth and MaxBars bound memory: the RGBA image is 4 bytes/px, so
	// 1000 bars (~14k px high) at 1200 px wide is already ~67 MB.
	MaxWidth = 8000
	MaxBars  = 1000

	pxPerBar  = 14  // one label line at labelSize plus a small gap
	minHeight = 300 // so a chart with few bars does not look squashed
	// overheadPx is the vertical space taken by title, x tick labels and the
	// x-axis label, added on top of the rows so rows keep pxPerBar each.
	overheadPx = 90
	// maxLabelRunes keeps the label column from eating the plot area.
	maxLabelRunes = 48
	labelSize     = 10 // points == pixels, as we render at 72 DPI
	margin        = 12
)

var (
	// Monospace: layer and kernel names are identifiers, and the embedded
	// Liberation Sans/Serif get a bogus large "11" kern from x/image that
	// makes digits overlap (e.g. "blocks.1.11"); Mono has no kerning.
	mono     = font.Font{Typeface: "Liberation", Variant: "Mono"}
	monoBold = font.Font{Typeface: "Liberation", Variant: "Mono", Weight: xfont.WeightBold}

	normalColor    = color.RGBA{R: 0x46, G: 0x82, B: 0xb4, A: 0xff} // steel blue
	highlightColor = color.RGBA{R: 0xe6, G: 0x55, B: 0x0d, A: 0xff} // orange: warning
	thresholdColor = color.RGBA{R: 0xc0, G: 0x00, B: 0x00, A: 0xff}
	noteColor      = color.RGBA{R: 0x30, G: 0x30, B: 0x30, A: 0xff}
)

// HorizontalBars renders bars as a PNG to w.
func HorizontalBars(w io.Writer, bars []Bar, opt Options) error {
	p, width, height, err := build(bars, opt)
	if err != nil {
		return err
	}
	// 72 DPI makes one vg point one pixel, so sizes above are pixels.
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(width), vg.Length(height)),
		vgimg.UseDPI(72),
	)
	// A margin so labels and the title do not touch the image edge.
	p.Draw(draw.Crop(draw.New(c), margin, -margin, margin/2, -margin/2))
	if err := png.Encode(w, c.Image()); err != nil {
		return fmt.Errorf("chart: encode png: %w", err)
	}
	return nil
}

// SaveHorizontalBars writes the PNG to path atomically: readers (e.g. a
// report page being refreshed) never see a half-written file.
func SaveHorizontalBars(path string, bars []Bar, opt Options) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { return HorizontalBars(w, bars, opt) }); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	return nil
}

// row is a bar prepared for drawing.
type row struct {
	value     float64 // finite; 0 for NaN
	highlight bool
	note      string // "+Inf", "-Inf", "NaN" or "" for plain bars
}

// prepare validates the input and replaces non-finite values by drawable ones.
func prepare(bars []Bar) ([]row, []string, error) {
	if len(bars) == 0 {
		return nil, nil, errors.New("chart: no bars")
	}
	if len(bars) > MaxBars {
		return nil, nil, fmt.Errorf("chart: %d bars exceed the limit of %d", len(bars), MaxBars)
	}
	// The axis always includes 0, so clip limits start there.
	hi, lo := 0.0, 0.0
	for _, b := range bars {
		if !math.IsNaN(b.Value) && !math.IsInf(b.Value, 0) {
			hi = math.Max(hi, b.Value)
			lo = math.Min(lo, b.Value)
		}
	}
	// With nothing finite on a side, borrow the other side's magnitude (or 1)
	// so an infinite bar is still visibly long rather than zero-length.
	posClip, negClip := hi, lo
	if posClip == 0 {
		posClip = math.Max(-lo, 1)
	}
	if negClip == 0 {
		negClip = -math.Max(hi, 1)
	}

	rows := make([]row, len(bars))
	labels := make([]string, len(bars))
	for i, b := range bars {
		r := row{value: b.Value, highlight: b.Highlight}
		switch {
		case math.IsNaN(b.Value):
			r.value, r.note = 0, "NaN"
		case math.IsInf(b.Value, 1):
			r.value, r.note = posClip, "+Inf"
		case math.IsInf(b.Value, -1):
			r.value, r.note = negClip, "-Inf"
		}
		rows[i] = r
		labels[len(bars)-1-i] = truncate(b.Label, maxLabelRunes)
	}
	return rows, labels, nil
}

// truncate shortens s to at most n runes with an ellipsis in the middle:
// layer names share long prefixes ("model.blocks.") and differ at both the
// block index and the final op, so keeping both ends is most informative.
// ASCII "..." because "…" renders like "_" in the 10 px monospace font.
func truncate(s string, n int) string {
	const ell = "..."
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	keep := n - len(ell)
	head := keep / 2
	tail := keep - head
	return string(r[:head]) + ell + string(r[len(r)-tail:])
}

func build(bars []Bar, opt Options) (*plot.Plot, int, int, error) {
	rows, labels, err := prepare(bars)
	if err != nil {
		return nil, 0, 0, err
	}
	width := opt.Width
	if width == 0 {
		width = DefaultWidth
	}
	if width < MinWidth || width > MaxWidth {
		return nil, 0, 0, fmt.Errorf("chart: width %d outside [%d, %d]", width, MinWidth, MaxWidth)
	}
	if math.IsNaN(opt.Threshold) || math.IsInf(opt.Threshold, 0) {
		return nil, 0, 0, errors.New("chart: threshold must be finite")
	}
	height := max(minHeight, pxPerBar*len(rows)+overheadPx)

	p := plot.New()
	p.Title.Text = opt.Title
	p.Title.TextStyle.Font = font.From(monoBold, 14)
	p.Title.Padding = 8
	p.X.Label.Text = opt.XLabel
	p.X.Label.TextStyle.Font = font.From(mono, 11)
	p.X.Tick.Label.Font = font.From(mono, labelSize)
	p.Y.Tick.Label.Font = font.From(mono, labelSize)
	p.NominalY(labels...)
	// About one labelled tick per 100 px so values can be read off; the
	// default ticker gives only 2–3 labels on a wide chart.
	p.X.Tick.Marker = ticker{target: max(4, width/100), extra: opt.Threshold}

	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil // one line per bar would be noise
	p.Add(grid)

	bp := &barPlotter{rows: rows, threshold: opt.Threshold}
	p.Add(bp)
	if opt.Threshold != 0 {
		// Make sure the reference line is inside the axis range.
		p.X.Min = math.Min(p.X.Min, opt.Threshold)
		p.X.Max = math.Max(p.X.Max, opt.Threshold)
	}
	return p, width, height, nil
}

// barPlotter draws the bars itself (rather than plotter.BarChart) so each
// bar can have its own colour and non-finite values can be annotated.
type barPlotter struct {
	rows      []row
	threshold float64
}

func (b *barPlotter) noteStyle() text.Style {
	return text.Style{
		Color:   noteColor,
		Font:    font.From(monoBold, labelSize),
		XAlign:  draw.XLeft,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// y maps bar i to its category position: the first bar is at the top.
func (b *barPlotter) y(i int) float64 { return float64(len(b.rows) - 1 - i) }

func (b *barPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	for _, r := range b.rows {
		xmin = math.Min(xmin, r.value)
		xmax = math.Max(xmax, r.value)
	}
	if xmin == xmax { // all zero/NaN: give the axis some extent
		xmax = 1
	}
	return xmin, xmax, -0.5, float64(len(b.rows)) - 0.5
}

func (b *barPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	// Bar thickness from the actual row pitch, leaving a gap between rows.
	pitch := trY(1) - trY(0)
	half := pitch * 0.38
	x0 := trX(0)
	sty := b.noteStyle()
	for i, r := range b.rows {
		yc := trY(b.y(i))
		x1 := trX(r.value)
		clr := normalColor
		if r.highlight {
			clr = highlightColor
		}
		pts := []vg.Point{{X: x0, Y: yc - half}, {X: x0, Y: yc + half}, {X: x1, Y: yc + half}, {X: x1, Y: yc - half}}
		c.FillPolygon(clr, c.ClipPolygonXY(pts))
		if r.note != "" {
			c.FillText(sty, b.notePoint(x1, yc, r), r.note)
		}
	}
	if b.threshold != 0 {
		xt := trX(b.threshold)
		ls := draw.LineStyle{Color: thresholdColor, Width: 1.5, Dashes: []vg.Length{6, 3}}
		c.StrokeLine2(ls, xt, c.Min.Y, xt, c.Max.Y)
	}
}

// notePoint puts the annotation just beyond the bar's end, on the side the
// bar points to, so it never overlaps the bar.
func (b *barPlotter) notePoint(x1, yc vg.Length, r row) vg.Point {
	const gap = 3
	if r.value < 0 {
		w := b.noteStyle().Width(r.note)
		return vg.Point{X: x1 - gap - w, Y: yc}
	}
	return vg.Point{X: x1 + gap, Y: yc}
}

// GlyphBoxes makes the plot reserve room for the annotations so that a note
// on the longest bar is not clipped at the image edge.
func (b *barPlotter) GlyphBoxes(plt *plot.Plot) []plot.GlyphBox {
	var boxes []plot.GlyphBox
	sty := b.noteStyle()
	for i, r := range b.rows {
		if r.note == "" {
			continue
		}
		rect := sty.Rectangle(r.note)
		if r.value < 0 {
			rect = rect.Add(vg.Point{X: -rect.Size().X - 3})
		} else {
			rect = rect.Add(vg.Point{X: 3})
		}
		boxes = append(boxes, plot.GlyphBox{X: plt.X.Norm(r.value), Y: plt.Y.Norm(b.y(i)), Rectangle: rect})
	}
	return boxes
}

// ticker labels "nice" values (1, 2 or 5 × 10^k) with about target ticks,
// plus the threshold value when it does not crowd a neighbouring label.
type ticker struct {
	target int
	extra  float64
}

func (t ticker) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep((hi - lo) / float64(t.target))
	prec := max(0, -int(math.Floor(math.Log10(step))))
	var ticks []plot.Tick
	// Index-based values avoid accumulating float error (0.30000000000000004).
	for i := math.Ceil(lo / step); i*step <= hi+step*1e-9; i++ {
		v := i * step
		if v == 0 {
			v = 0 // normalise -0, which would print as "-0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
	}
	if t.extra != 0 {
		near := false
		for _, tk := range ticks {
			near = near || math.Abs(tk.Value-t.extra) < 0.4*step
		}
		if !near {
			ticks = append(ticks, plot.Tick{Value: t.extra, Label: strconv.FormatFloat(t.extra, 'g', 4, 64)})
		}
	}
	return ticks
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}
