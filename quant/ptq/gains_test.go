package ptq

import (
	"testing"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/quant/calib"
	"neonet.dev/neonet/tensor"
)

// A channel whose error the next mixing layer ignores (zero weights) does
// not widen its tensor's range, however large its values; a channel the
// layer reads does.
func TestRangesWeightedByGains(t *testing.T) {
	build := func(readSecond float32) *graph.Graph {
		b := graph.NewBuilder("gains", tensor.Shape{N: 1, H: 8, W: 8, C: 2})
		a := b.Conv("a", b.Input(), graph.ConvSpec{Out: 2, Kernel: 1})
		mix := b.Conv("mix", a, graph.ConvSpec{Out: 1, Kernel: 1})
		g, err := b.Finish(mix)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range g.Params {
			switch p.Name {
			case "a.weight":
				copy(p.Data, []float32{1, 0, 0, 1}) // identity
			case "mix.weight":
				copy(p.Data, []float32{1, readSecond})
			}
		}
		return g
	}
	span := func(g *graph.Graph) float32 {
		c, err := NewCalibrator(g)
		if err != nil {
			t.Fatal(err)
		}
		for seed := range 4 {
			x := smoothInput(seed, 8*8*2)
			for i := 1; i < len(x); i += 2 {
				x[i] *= 50 // channel 1 spans about 100, channel 0 about 2
			}
			if err := c.Observe(x); err != nil {
				t.Fatal(err)
			}
		}
		m, err := c.Quantize(Meta{Name: g.Name}, calib.MSE)
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range m.Tensors {
			if tn.Name == "a" {
				return 255 * tn.Params.Scale
			}
		}
		t.Fatal("no tensor a")
		return 0
	}
	if s := span(build(0)); s > 3 {
		t.Errorf("channel 1 unread by the next layer: range spans %.3g, want about channel 0's 2", s)
	}
	if s := span(build(1)); s < 30 {
		t.Errorf("channel 1 read by the next layer: range spans %.3g, want most of channel 1's 100", s)
	}
}
