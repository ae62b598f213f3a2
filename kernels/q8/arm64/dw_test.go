package arm64

import (
	"testing"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// TestDepthwisePairsTaps checks when the depthwise kernels sum taps two at
// a time in int16: in every window of more than one tap, unless a weight
// is -128 (two products of -128*-128 overflow the pair's sum). The
// operator tests in kernels/q8 draw weights both ways, so both run.
func TestDepthwisePairsTaps(t *testing.T) {
	for _, c := range []struct {
		k         int
		weightMin bool
		pairs     int
	}{{3, false, 4}, {3, true, 0}, {5, false, 12}, {5, true, 0}, {1, false, 0}} {
		set := *NEON
		var rows *dwRows
		set.Depthwise.Prepare = func(l *q8.DepthwiseLayer) q8.DepthwiseRows {
			r := dwPrepare(l)
			rows = r.(*dwRows)
			return r
		}
		s := tensor.Shape{N: 1, H: 6, W: 6, C: 16}
		g := nn.ConvGeometry{KH: c.k, KW: c.k, StrideH: 1, StrideW: 1, PadH: c.k / 2, PadW: c.k / 2, DilH: 1, DilW: 1, Groups: s.C}
		w := make([]int8, c.k*c.k*s.C)
		for i := range w {
			w[i] = int8(i%255 - 127)
		}
		if c.weightMin {
			w[len(w)/2] = -128
		}
		if _, err := q8.NewDepthwise(&set, w, make([]int32, s.C), g, s, s, 0, q8ref.Output{Multipliers: []float32{0.01}, Lo: -128, Hi: 127}); err != nil {
			t.Fatal(err)
		}
		if rows == nil || rows.pairs != c.pairs || rows.pairable == c.weightMin {
			t.Errorf("%dx%d, a weight of -128 %v: prepared %+v, want %d pairs", c.k, c.k, c.weightMin, rows, c.pairs)
		}
	}
}
