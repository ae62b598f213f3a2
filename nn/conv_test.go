package nn

import "testing"

// TensorFlow's SAME padding as EfficientNet meets it, and its rule: the
// output is ceil(n/stride) and the padding is split with the odd zero
// after.
func TestSamePadding(t *testing.T) {
	for _, c := range []struct{ n, k, stride, dil, before, extra int }{
		{224, 3, 2, 1, 0, 1}, // the stem
		{56, 5, 2, 1, 1, 1},  // 5x5 stride 2: 1 before, 2 after
		{75, 5, 2, 1, 2, 0},  // an odd size pads symmetrically
		{15, 3, 2, 1, 1, 0},
		{14, 3, 1, 1, 1, 0}, // stride 1: PyTorch's (k-1)/2
		{14, 5, 1, 1, 2, 0},
		{14, 3, 1, 2, 2, 0}, // dilated
		{9, 4, 1, 1, 1, 1},  // an even window
		{2, 1, 3, 1, 0, 0},  // no padding needed
	} {
		before, extra := SamePadding(c.n, c.k, c.stride, c.dil)
		if before != c.before || extra != c.extra {
			t.Errorf("SamePadding(%d, k%d, s%d, d%d) = %d, %d; want %d, %d", c.n, c.k, c.stride, c.dil, before, extra, c.before, c.extra)
		}
	}
	for n := 1; n < 40; n++ {
		for k := 1; k <= 7; k++ {
			for stride := 1; stride <= 3; stride++ {
				g := ConvGeometry{KH: k, KW: 1, StrideH: stride, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}.WithSamePadding(n, 1)
				if h, _ := g.OutSize(n, 1); h != (n+stride-1)/stride {
					t.Fatalf("n %d k %d stride %d: SAME output %d, want %d", n, k, stride, h, (n+stride-1)/stride)
				}
			}
		}
	}
}
