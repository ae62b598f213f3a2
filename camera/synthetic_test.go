package camera

import (
	"bytes"
	"testing"
)

// TestSyntheticPatternPixels: every pixel of the pattern is its bar's
// colour mixed with the row's gradient, half each, plus the frame's
// brightness level, the bars scrolling right by 4 pixels a frame; sizes
// whose width is no multiple of 8, narrower than 8 and one row high
// included.
func TestSyntheticPatternPixels(t *testing.T) {
	for _, size := range [][2]int{{640, 480}, {61, 17}, {5, 3}, {9, 1}, {1, 1}} {
		for _, seq := range []uint64{1, 2, 63, 64, 65, 1000} {
			var f Frame
			f.setSize(size[0], size[1])
			SyntheticPattern(&f, seq)
			want := make([]byte, 3*size[0]*size[1])
			barW := max(size[0]/8, 1)
			shift := int(seq*4) % (8 * barW)
			for y := range size[1] {
				grad := 255 * y / max(size[1]-1, 1)
				for x := range size[0] {
					c := barColors[((x+8*barW-shift)/barW)%8]
					for ch := range 3 {
						want[3*(y*size[0]+x)+ch] = byte((int(c[ch])+grad)/2*3/4 + int(seq%64))
					}
				}
			}
			got := make([]byte, 0, len(want))
			for y := range size[1] {
				got = append(got, f.row(y)...)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%dx%d frame %d: the pixels differ from the pattern's formula", size[0], size[1], seq)
			}
		}
	}
}

func BenchmarkSyntheticPattern(b *testing.B) {
	var f Frame
	f.setSize(640, 480)
	for i := 0; b.Loop(); i++ {
		SyntheticPattern(&f, uint64(i))
	}
}
