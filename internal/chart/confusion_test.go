package chart

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// A confusion matrix renders as a PNG that grows with the classes, its
// diagonal cells darker than the others; bad shapes are refused.
func TestConfusion(t *testing.T) {
	classes := []string{"garage door open", "closed", "nothing"}
	counts := [][]int{{40, 2, 0}, {3, 37, 0}, {0, 1, 49}}
	var buf bytes.Buffer
	if err := Confusion(&buf, classes, counts, "validation photos"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() < 3*cellPx || b.Dx() != b.Dy() {
		t.Fatalf("image %v for 3 classes", b)
	}
	// Count strongly shaded pixels: the three diagonal cells (over 90% of
	// their rows) are dark, the rest near white.
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r>>8 < 0x70 && g>>8 < 0xa0 && bl>>8 > 0xa0 {
				dark++
			}
		}
	}
	if dark < 3*cellPx*cellPx/2 {
		t.Errorf("%d dark blue pixels, want at least three mostly filled cells", dark)
	}
	path := filepath.Join(t.TempDir(), "confusion.png")
	if err := SaveConfusion(path, classes, counts, ""); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Errorf("saved %v, %v", st, err)
	}
	for _, bad := range [][][]int{{{1, 2}}, {{1, 2, 3}, {1, 2}, {1, 2, 3}}} {
		if err := Confusion(&buf, classes, bad, ""); err == nil {
			t.Errorf("matrix %v accepted for 3 classes", bad)
		}
	}
}
