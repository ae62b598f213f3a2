package calib

import (
	"math"
	"testing"
)

// interleave lays channels out as NHWC pixels: value i of channel c is at
// i*len(channels)+c.
func interleave(channels ...[]float32) []float32 {
	n := len(channels[0])
	out := make([]float32, 0, n*len(channels))
	for i := range n {
		for _, ch := range channels {
			out = append(out, ch[i])
		}
	}
	return out
}

// Equal weights change nothing: the range searches see the same histogram
// scaled by a constant.
func TestObserveWeightedEqualWeights(t *testing.T) {
	r := newRand(21)
	data := interleave(laplace(r, 50000, 1), gaussian(r, 50000, 3), rectify(gaussian(r, 50000, 2)))
	plain, weighted := NewObserver(), NewObserver()
	for i := 0; i < len(data); i += 30000 {
		batch := data[i:min(i+30000, len(data))]
		plain.Observe(batch)
		weighted.ObserveWeighted(batch, []float64{2.5, 2.5, 2.5})
	}
	if plain.Count() != weighted.Count() || plain.Min() != weighted.Min() || plain.Max() != weighted.Max() {
		t.Fatalf("count/min/max differ: %d/%g/%g vs %d/%g/%g", plain.Count(), plain.Min(), plain.Max(),
			weighted.Count(), weighted.Min(), weighted.Max())
	}
	for _, m := range allMethods {
		pl, ph := plain.Range(m)
		wl, wh := weighted.Range(m)
		if math.Abs(float64(pl-wl)) > 1e-5*float64(ph-pl) || math.Abs(float64(ph-wh)) > 1e-5*float64(ph-pl) {
			t.Errorf("%v: plain [%g, %g], equally weighted [%g, %g]", m, pl, ph, wl, wh)
		}
	}
}

// A loud channel that matters little and a quiet one that matters much:
// the weighted MSE range gives up the loud channel's tail for finer steps,
// and its weighted error is below the plain range's.
func TestObserveWeightedFavoursTheHeavyChannel(t *testing.T) {
	r := newRand(22)
	loud, quiet := gaussian(r, 100000, 20), gaussian(r, 100000, 0.5)
	weights := []float64{1e-4, 1}
	data := interleave(loud, quiet)
	plain, weighted := NewObserver(), NewObserver()
	plain.Observe(data)
	weighted.ObserveWeighted(data, weights)
	pl, ph := plain.Range(MSE)
	wl, wh := weighted.Range(MSE)
	t.Logf("plain MSE [%.3f, %.3f], weighted [%.3f, %.3f]", pl, ph, wl, wh)
	if !(wh < ph/2 && wl > pl/2) {
		t.Errorf("weighted range [%g, %g] not well inside the plain [%g, %g]", wl, wh, pl, ph)
	}
	werr := func(lo, hi float32) float64 {
		return weights[0]*quantMSE(loud, lo, hi) + weights[1]*quantMSE(quiet, lo, hi)
	}
	if ew, ep := werr(wl, wh), werr(pl, ph); ew >= ep {
		t.Errorf("weighted error with the weighted range %.4g, not below the plain range's %.4g", ew, ep)
	}
	// RangeThrough reads the same weighted histogram.
	tl, th := weighted.RangeThrough(MSE, silu)
	if !(th < ph/2) {
		t.Errorf("weighted range through SiLU [%g, %g] ignores the weights (plain hi %g)", tl, th, ph)
	}
}

// Zeros seen before any other value keep their weights once the histogram
// exists.
func TestObserveWeightedLeadingZeros(t *testing.T) {
	o := NewObserver()
	o.ObserveWeighted(make([]float32, 8), []float64{1, 3})
	o.ObserveWeighted([]float32{1, 2, 0.5, 0}, []float64{1, 3})
	h := o.hist()
	if h.zeros != 4*1+4*3+3 || h.total != h.zeros+1+3+1 {
		t.Errorf("weighted zeros %g total %g, want 19 and 24", h.zeros, h.total)
	}
}
