package calib

import "math"

// samplesPerBin is how many points of each histogram bin RangeThrough
// evaluates the function at (midpoints of equal sub-intervals).
const samplesPerBin = 4

// RangeThrough chooses the range of a tensor whose only reader is the
// elementwise function f (SiLU, sigmoid, hard-swish through a lookup
// table). With MSE it minimises the squared error after f,
// (f(x) - f(Q(x)))^2, rather than of x itself: what reaches the next layer
// is f of the quantized value, and f flattens whole regions (SiLU below -6
// is within 0.015 of 0, sigmoid saturates), so the range can be narrowed
// where f does not care and the steps made finer where it does. Other
// methods ignore f and behave as Range.
func (o *Observer) RangeThrough(m Method, f func(float64) float64) (lo, hi float32) {
	if m != MSE || f == nil {
		return o.Range(m)
	}
	h := o.hist()
	if h == nil {
		return o.finish(0, 0, false)
	}
	pts := h.samples(f)
	l, r := search(h.lo, h.hi, func(lo, hi float64) float64 { return pts.sqErr(lo, hi, f) })
	return o.finish(l, r, true)
}

// sampled is a histogram as weighted points with f precomputed.
type sampled struct {
	x, fx, n []float64
}

func (h *hist) samples(f func(float64) float64) *sampled {
	s := &sampled{}
	for _, b := range h.bins {
		k := samplesPerBin
		if b.b <= b.a {
			k = 1
		}
		for i := 0; i < k; i++ {
			x := b.a + (b.b-b.a)*(float64(i)+0.5)/float64(k)
			s.x = append(s.x, x)
			s.fx = append(s.fx, f(x))
			s.n = append(s.n, b.n/float64(k))
		}
	}
	return s
}

// sqErr is the mean of (f(x) - f(dequantize(quantize(x))))^2 over the
// points for the range [lo, hi], with the same grid as hist.sqErr.
func (s *sampled) sqErr(lo, hi float64, f func(float64) float64) float64 {
	step := (hi - lo) / 255
	zp := min(max(math.Round(-128-lo/step), -128), 127)
	gLo, gHi := step*(-128-zp), step*(127-zp)
	var sum, total float64
	for i, x := range s.x {
		q := min(max(step*math.RoundToEven(x/step), gLo), gHi)
		d := s.fx[i] - f(q)
		sum += s.n[i] * d * d
		total += s.n[i]
	}
	return sum / total
}
