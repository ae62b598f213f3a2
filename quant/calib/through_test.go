package calib

import (
	"math"
	"testing"
)

func silu(x float64) float64 { return x / (1 + math.Exp(-x)) }

// errorThrough is the measured mean squared error after f of quantizing
// values with the range [lo, hi], through the real scheme (round to even).
func errorThrough(values []float32, lo, hi float32, f func(float64) float64) float64 {
	s := float64(hi-lo) / 255
	zp := min(max(math.Round(-128-float64(lo)/s), -128), 127)
	var sum float64
	for _, v := range values {
		q := min(max(math.RoundToEven(float64(v)/s)+zp, -128), 127)
		d := f(float64(v)) - f(s*(q-zp))
		sum += d * d
	}
	return sum / float64(len(values))
}

func TestRangeThroughSiLUNarrowsTheFlatSide(t *testing.T) {
	r := newRand(7)
	values := gaussian(r, 200000, 3) // a pre-activation with a long negative side
	o := NewObserver()
	o.Observe(values)
	plainLo, plainHi := o.Range(MSE)
	lo, hi := o.RangeThrough(MSE, silu)
	t.Logf("MSE range [%.3f, %.3f], through SiLU [%.3f, %.3f]", plainLo, plainHi, lo, hi)
	if !(lo > plainLo) {
		t.Errorf("through SiLU lo = %.3f, want above the plain MSE lo %.3f (SiLU is flat below -6)", lo, plainLo)
	}
	ePlain, eThrough := errorThrough(values, plainLo, plainHi, silu), errorThrough(values, lo, hi, silu)
	t.Logf("squared error after SiLU: plain %.3g, through %.3g", ePlain, eThrough)
	if eThrough >= ePlain {
		t.Errorf("error after SiLU %.3g with RangeThrough, not below %.3g with Range", eThrough, ePlain)
	}
}

func TestRangeThroughOtherMethodsIgnoreTheFunction(t *testing.T) {
	o := NewObserver()
	o.Observe(gaussian(newRand(3), 10000, 1))
	for _, m := range []Method{MinMax, Percentile, KL, Auto} {
		lo, hi := o.RangeThrough(m, silu)
		wlo, whi := o.Range(m)
		if lo != wlo || hi != whi {
			t.Errorf("%s: RangeThrough [%g, %g], Range [%g, %g]", m, lo, hi, wlo, whi)
		}
	}
	lo, hi := o.RangeThrough(MSE, nil)
	if wlo, whi := o.Range(MSE); lo != wlo || hi != whi {
		t.Errorf("MSE with no function: [%g, %g], want Range's [%g, %g]", lo, hi, wlo, whi)
	}
	empty := NewObserver()
	if lo, hi := empty.RangeThrough(MSE, silu); !(lo <= 0 && 0 < hi) {
		t.Errorf("no data: [%g, %g]", lo, hi)
	}
}
