package quant

import (
	"math"
	"testing"
)

func TestRequantizeRounding(t *testing.T) {
	cases := []struct {
		acc          int32
		mult         float32
		zero, lo, hi int32
		want         int8
		why          string
	}{
		{5, 0.5, 0, QMin, QMax, 2, "2.5 rounds to even 2"},
		{7, 0.5, 0, QMin, QMax, 4, "3.5 rounds to even 4"},
		{-5, 0.5, 0, QMin, QMax, -2, "-2.5 rounds to even -2"},
		{-7, 0.5, 0, QMin, QMax, -4, "-3.5 rounds to even -4"},
		{3, 0.5, 0, QMin, QMax, 2, "1.5 rounds to 2"},
		{10, 1, -3, QMin, QMax, 7, "zero point is added after rounding"},
		{1000, 1, 0, QMin, QMax, 127, "saturates high"},
		{-1000, 1, 0, QMin, QMax, -128, "saturates low"},
		{120, 1, 10, QMin, QMax, 127, "zero point pushes past the top: saturates"},
		{-5, 1, -128, -128, QMax, -128, "ReLU clamp at the zero point"},
		{math.MaxInt32, 1e9, 0, QMin, QMax, 127, "huge product saturates"},
		{math.MinInt32, 1e9, 0, QMin, QMax, -128, "huge negative product saturates"},
		{123456, 1e-9, 5, QMin, QMax, 5, "tiny multiplier gives the zero point"},
		{1<<24 + 1, 1.0 / (1 << 20), 0, QMin, QMax, 16, "acc beyond 2^24 is rounded to float32 first"},
		{50, 1, 0, QMin, 20, 20, "ReLU6-style upper clamp"},
	}
	for _, c := range cases {
		if got := Requantize(c.acc, c.mult, c.zero, c.lo, c.hi); got != c.want {
			t.Errorf("Requantize(%d, %g, %d, %d, %d) = %d, want %d: %s", c.acc, c.mult, c.zero, c.lo, c.hi, got, c.want, c.why)
		}
	}
}

// Requantize agrees with exact real arithmetic to within half a step for
// random accumulators and multipliers (away from ties and saturation).
func TestRequantizeMatchesRealArithmetic(t *testing.T) {
	state := uint32(1)
	next := func() uint32 { state = state*1664525 + 1013904223; return state }
	for range 100000 {
		acc := int32(next()%200001) - 100000
		mult := float32(next()%100000+1) / 1e7 // 1e-7 .. 1e-2
		zero := int32(next()%256) - 128
		exact := float64(acc)*float64(mult) + float64(zero)
		got := Requantize(acc, mult, zero, QMin, QMax)
		want := math.Min(math.Max(math.Round(exact), QMin), QMax)
		if frac := math.Abs(exact - math.Trunc(exact)); math.Abs(frac-0.5) < 1e-3 {
			continue // within float error of a tie
		}
		if float64(got) != want {
			t.Fatalf("acc %d mult %g zero %d: got %d, exact %.4f", acc, mult, zero, got, exact)
		}
	}
}

func TestChooseParams(t *testing.T) {
	for _, r := range [][2]float32{{-1, 1}, {0, 6}, {-3, 0.5}, {0.2, 5}, {-7, -2}, {0, 0}, {-1e-3, 2e3}} {
		p := ChooseParams(r[0], r[1])
		if !(p.Scale > 0) || p.Zero < QMin || p.Zero > QMax {
			t.Fatalf("range %v: invalid %v", r, p)
		}
		if p.Dequantize(int8(p.Zero)) != 0 || p.Quantize(0) != int8(p.Zero) {
			t.Errorf("range %v: zero is not exact (%v)", r, p)
		}
		lo, hi := min(r[0], 0), max(r[1], 0)
		for _, x := range []float32{lo, hi, (lo + hi) / 2} {
			if d := math.Abs(float64(p.Dequantize(p.Quantize(x)) - x)); d > float64(p.Scale)*0.5001+1e-6 {
				t.Errorf("range %v: %g round-trips with error %g > half step %g", r, x, d, p.Scale/2)
			}
		}
	}
	if p := ChooseParams(0, 6); p.Zero != QMin {
		t.Errorf("a ReLU range should put zero at -128, got %v", p)
	}
}

func TestWeightQuantization(t *testing.T) {
	w := []float32{0.5, -1, 0.25, 0, 0, 0, 3, 1.5, -3}
	s := WeightScales(w, 3)
	if s[0] != 1.0/127 || s[1] != 1 || s[2] != 3.0/127 {
		t.Errorf("scales %v", s)
	}
	if q := QuantizeWeight(-1, s[0]); q != -127 {
		t.Errorf("largest magnitude maps to %d, want -127", q)
	}
	if q := QuantizeWeight(-5, s[0]); q != -127 {
		t.Errorf("weights never reach -128: got %d", q)
	}
}

// Every lookup table entry is within one step of the real function.
func TestLookupTables(t *testing.T) {
	in := ChooseParams(-8, 8)
	silu := func(x float64) float64 { return x / (1 + math.Exp(-x)) }
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for _, c := range []struct {
		name string
		f    func(float64) float64
		out  Params
	}{
		{"silu", silu, ChooseParams(-0.3, 8)},
		{"sigmoid", sigmoid, Params{Scale: 1.0 / 256, Zero: -128}},
		{"hardswish", func(x float64) float64 { return x * min(max(x+3, 0), 6) / 6 }, ChooseParams(-0.4, 8)},
	} {
		table := LookupTable(c.f, in, c.out)
		for q := QMin; q <= QMax; q++ {
			want := c.f(float64(in.Dequantize(int8(q))))
			got := float64(c.out.Dequantize(table[q-QMin]))
			if math.Abs(got-want) > float64(c.out.Scale)*0.5+1e-9 && !(want > float64(c.out.Dequantize(QMax))) {
				t.Errorf("%s(%d): table gives %g, real %g (step %g)", c.name, q, got, want, c.out.Scale)
			}
		}
	}
}

func TestClamp(t *testing.T) {
	p := ChooseParams(-2, 10)
	lo, hi := Clamp(p, true, false)
	if lo != p.Zero || hi != QMax {
		t.Errorf("relu clamp [%d %d], zero %d", lo, hi, p.Zero)
	}
	lo, hi = Clamp(p, false, true)
	if lo != p.Zero || hi != int32(p.Quantize(6)) {
		t.Errorf("relu6 clamp [%d %d]", lo, hi)
	}
}
