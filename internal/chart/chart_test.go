package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sqnrBars mimics a quantization report: mostly healthy layers, a few weak
// ones highlighted below 20 dB, one exact layer with infinite SQNR.
func sqnrBars(n int) []Bar {
	bars := make([]Bar, n)
	for i := range bars {
		v := 28 + 10*math.Sin(float64(i)*0.7)
		if i%17 == 5 {
			v = 12 + float64(i%7)
		}
		bars[i] = Bar{
			Label:     fmt.Sprintf("model.blocks.%d.%d.conv_pw", i/12, i%12),
			Value:     v,
			Highlight: v < 20,
		}
	}
	if n > 3 {
		bars[3].Value = math.Inf(1)
		bars[3].Label = "model.blocks.0.3.identity_exact"
	}
	return bars
}

func render(t *testing.T, bars []Bar, opt Options) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := HorizontalBars(&buf, bars, opt); err != nil {
		t.Fatalf("HorizontalBars: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

func countColor(img image.Image, want color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, a := img.At(x, y).RGBA()
			if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(bb>>8) == want.B && uint8(a>>8) == want.A {
				n++
			}
		}
	}
	return n
}

func TestSizes(t *testing.T) {
	for _, n := range []int{1, 10, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			img := render(t, sqnrBars(n), Options{Title: "SQNR", XLabel: "dB", Threshold: 20})
			wantH := max(minHeight, pxPerBar*n+overheadPx)
			if got := img.Bounds().Size(); got.X != DefaultWidth || got.Y != wantH {
				t.Fatalf("size %v, want %dx%d", got, DefaultWidth, wantH)
			}
		})
	}
	img := render(t, sqnrBars(10), Options{Width: 640})
	if img.Bounds().Dx() != 640 {
		t.Fatalf("width %d, want 640", img.Bounds().Dx())
	}
}

func TestHighlightColour(t *testing.T) {
	bars := []Bar{{Label: "a", Value: 30}, {Label: "b", Value: 10, Highlight: true}, {Label: "c", Value: 25}}
	img := render(t, bars, Options{})
	// A bar ~10 px thick and hundreds of px long: expect many solid pixels.
	if n := countColor(img, highlightColor); n < 500 {
		t.Fatalf("only %d highlight-coloured pixels", n)
	}
	if n := countColor(img, normalColor); n < 500 {
		t.Fatalf("only %d normal-coloured pixels", n)
	}
	bars[1].Highlight = false
	if n := countColor(render(t, bars, Options{}), highlightColor); n != 0 {
		t.Fatalf("%d highlight-coloured pixels without any highlighted bar", n)
	}
}

func TestNonFinite(t *testing.T) {
	bars := []Bar{
		{Label: "a", Value: 30},
		{Label: "exact", Value: math.Inf(1)},
		{Label: "neg", Value: -5},
		{Label: "dead", Value: math.Inf(-1)},
		{Label: "broken", Value: math.NaN()},
	}
	rows, _, err := prepare(bars)
	if err != nil {
		t.Fatal(err)
	}
	want := []row{{value: 30}, {value: 30, note: "+Inf"}, {value: -5}, {value: -5, note: "-Inf"}, {value: 0, note: "NaN"}}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	render(t, bars, Options{Threshold: 20})

	// Nothing finite at all must still render with a visible bar.
	rows, _, err = prepare([]Bar{{Label: "x", Value: math.Inf(1)}})
	if err != nil || rows[0].value <= 0 {
		t.Fatalf("all-Inf: rows %+v err %v", rows, err)
	}
	img := render(t, []Bar{{Label: "x", Value: math.Inf(1)}, {Label: "y", Value: math.NaN()}}, Options{})
	if countColor(img, normalColor) == 0 {
		t.Fatal("clipped Inf bar not drawn")
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := HorizontalBars(&buf, nil, Options{}); err == nil {
		t.Error("empty input: no error")
	}
	if err := HorizontalBars(&buf, []Bar{{Value: 1}}, Options{Width: 10}); err == nil {
		t.Error("tiny width: no error")
	}
	if err := HorizontalBars(&buf, []Bar{{Value: 1}}, Options{Threshold: math.NaN()}); err == nil {
		t.Error("NaN threshold: no error")
	}
	if err := HorizontalBars(&buf, make([]Bar, MaxBars+1), Options{}); err == nil {
		t.Error("too many bars: no error")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes despite errors", buf.Len())
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	long := "model.features.stage7.block3.squeeze_excite.conv_reduce.weight"
	got := truncate(long, 20)
	if n := len([]rune(got)); n != 20 || !strings.Contains(got, "...") ||
		!strings.HasPrefix(got, "model") || !strings.HasSuffix(got, "weight") {
		t.Errorf("truncate(%q) = %q (%d runes)", long, got, n)
	}
}

func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sqnr.png")
	if err := SaveHorizontalBars(path, sqnrBars(10), Options{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	// A failed save must not clobber the previous file nor leave a temp file.
	if err := SaveHorizontalBars(path, nil, Options{}); err == nil {
		t.Fatal("empty save: no error")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "sqnr.png" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("dir holds %v, want only sqnr.png", names)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("saved file: %v", err)
	}
}

// TestSample writes a sample chart for eyeballing when CHART_SAMPLE names a
// destination path, e.g. CHART_SAMPLE=/tmp/chart_sample.png go test -run Sample.
func TestSample(t *testing.T) {
	path := os.Getenv("CHART_SAMPLE")
	if path == "" {
		t.Skip("CHART_SAMPLE not set")
	}
	bars := sqnrBars(40)
	bars[7].Label = "model.features.stage7.block3.squeeze_excite.conv_reduce.weight"
	bars[9].Value = -3.5
	bars[9].Highlight = true
	opt := Options{Title: "Per-layer quantization error (int8)", XLabel: "SQNR [dB] (higher is better)", Threshold: 20}
	if err := SaveHorizontalBars(path, bars, opt); err != nil {
		t.Fatal(err)
	}
	if p2 := os.Getenv("CHART_SAMPLE_BIG"); p2 != "" {
		if err := SaveHorizontalBars(p2, sqnrBars(250), opt); err != nil {
			t.Fatal(err)
		}
	}
}
