package calib

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// ---- data generators (deterministic) ----

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func uniform(r *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return v
}

func gaussian(r *rand.Rand, n int, sigma float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(sigma * r.NormFloat64())
	}
	return v
}

func laplace(r *rand.Rand, n int, b float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		e := b * r.ExpFloat64()
		if r.IntN(2) == 0 {
			e = -e
		}
		v[i] = float32(e)
	}
	return v
}

// relu is a post-ReLU activation: half exact zeros, half a right-skewed tail.
func relu(r *rand.Rand, n int) []float32 {
	v := gaussian(r, n, 1)
	for i, x := range v {
		if x < 0 {
			v[i] = 0
		} else {
			v[i] = x * x // heavier-than-Gaussian positive tail
		}
	}
	return v
}

// rectify zeroes the negative values in place: a plain post-ReLU tensor.
func rectify(v []float32) []float32 {
	for i, x := range v {
		v[i] = max(x, 0)
	}
	return v
}

// observeAll feeds data in batches of size batch, like per-image calls.
func observeAll(o *Observer, data []float32, batch int) {
	for i := 0; i < len(data); i += batch {
		o.Observe(data[i:min(i+batch, len(data))])
	}
}

// quantMSE quantizes data with the package's stated convention and returns
// the real mean squared error.
func quantMSE(data []float32, lo, hi float32) float64 {
	s := (float64(hi) - float64(lo)) / 255
	zp := min(max(math.Round(-128-float64(lo)/s), -128), 127)
	var sum float64
	for _, x := range data {
		q := min(max(math.Round(float64(x)/s)+zp, -128), 127)
		d := s*(q-zp) - float64(x)
		sum += d * d
	}
	return sum / float64(len(data))
}

func extremes(data []float32) (lo, hi float32) {
	lo, hi = data[0], data[0]
	for _, v := range data {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

var allMethods = []Method{MinMax, Percentile, MSE, KL, Auto}

// withMinMax observes data in batches and returns method m's range (checked
// by checkRange) and its real error, then MinMax's range and error.
func withMinMax(t *testing.T, name string, data []float32, m Method) (lo, hi float32, e float64, mmLo, mmHi float32, eMM float64) {
	t.Helper()
	o := NewObserver()
	observeAll(o, data, 100_000)
	mmLo, mmHi = o.Range(MinMax)
	lo, hi = o.Range(m)
	checkRange(t, name, m, lo, hi)
	return lo, hi, quantMSE(data, lo, hi), mmLo, mmHi, quantMSE(data, mmLo, mmHi)
}

func checkRange(t *testing.T, what string, m Method, lo, hi float32) {
	t.Helper()
	if math.IsNaN(float64(lo)) || math.IsNaN(float64(hi)) || math.IsInf(float64(lo), 0) || math.IsInf(float64(hi), 0) {
		t.Fatalf("%s %v: non-finite range [%g, %g]", what, m, lo, hi)
	}
	if !(lo <= 0 && 0 <= hi && lo < hi) {
		t.Fatalf("%s %v: range [%g, %g] violates lo <= 0 <= hi, lo < hi", what, m, lo, hi)
	}
}

// ---- tests ----

func TestMethodNames(t *testing.T) {
	for _, m := range allMethods {
		got, err := ParseMethod(m.String())
		if err != nil || got != m {
			t.Fatalf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	if m, err := ParseMethod(" KL "); err != nil || m != KL {
		t.Fatalf("ParseMethod(\" KL \") = %v, %v", m, err)
	}
	if _, err := ParseMethod("entropy"); err == nil {
		t.Fatal("ParseMethod accepted an unknown name")
	}
	if s := Method(42).String(); s != "Method(42)" {
		t.Fatalf("String of unknown method = %q", s)
	}
}

func TestMinMaxExact(t *testing.T) {
	r := newRand(1)
	data := append(gaussian(r, 100_000, 3), uniform(r, 100_000, -0.5, 7.25)...)
	o := NewObserver()
	observeAll(o, data, 10_000)
	lo, hi := extremes(data)
	if o.Min() != lo || o.Max() != hi || o.Count() != int64(len(data)) {
		t.Fatalf("Min/Max/Count = %g/%g/%d, want %g/%g/%d", o.Min(), o.Max(), o.Count(), lo, hi, len(data))
	}
	if l, h := o.Range(MinMax); l != lo || h != hi {
		t.Fatalf("MinMax = [%g, %g], want [%g, %g]", l, h, lo, hi)
	}
	// All-positive data: lo is widened to exactly 0.
	p := NewObserver()
	p.Observe([]float32{2, 3.5, 9})
	if l, h := p.Range(MinMax); l != 0 || h != 9 {
		t.Fatalf("positive MinMax = [%g, %g], want [0, 9]", l, h)
	}
}

func TestZeroTensor(t *testing.T) {
	o := NewObserver()
	for range 5 {
		o.Observe(make([]float32, 1000))
	}
	if o.Count() != 5000 || o.Min() != 0 || o.Max() != 0 {
		t.Fatalf("Count/Min/Max = %d/%g/%g", o.Count(), o.Min(), o.Max())
	}
	for _, m := range allMethods {
		lo, hi := o.Range(m)
		checkRange(t, "zeros", m, lo, hi)
		if lo != 0 || hi > 1e-3 {
			t.Fatalf("zeros %v = [%g, %g], want [0, tiny]", m, lo, hi)
		}
	}
	// Empty observer behaves the same.
	e := NewObserver()
	for _, m := range allMethods {
		lo, hi := e.Range(m)
		checkRange(t, "empty", m, lo, hi)
	}
	// Zeros first, then real data: the zeros land in the histogram.
	o.Observe([]float32{1, 2, 3})
	if o.bins == nil || o.bins[-o.start] < 5000 {
		t.Fatalf("pending zeros not added to bin 0")
	}
}

func TestPercentileTrimsOutlier(t *testing.T) {
	r := newRand(2)
	data := gaussian(r, 1_000_000, 1)
	data[12345] = 1e4
	o := NewObserver()
	observeAll(o, data, 100_000)
	if _, hi := o.Range(MinMax); hi != 1e4 {
		t.Fatalf("MinMax hi = %g, want the outlier 1e4", hi)
	}
	lo, hi := o.Range(Percentile)
	t.Logf("single 1e4 outlier: percentile range [%g, %g]", lo, hi)
	// MSE keeps this outlier: clipping it alone would cost (1e4)^2/1e6 = 100
	// per value, far more than the rounding error it saves. It must still
	// not do worse than MinMax on the real data.
	mLo, mHi := o.Range(MSE)
	mmLo, mmHi := o.Range(MinMax)
	eMSE, eMM := quantMSE(data, mLo, mHi), quantMSE(data, mmLo, mmHi)
	t.Logf("single 1e4 outlier: MSE range [%g, %g] mse=%.4g, MinMax mse=%.4g", mLo, mHi, eMSE, eMM)
	if eMSE > eMM*1.001 {
		t.Fatalf("MSE error %.4g worse than MinMax %.4g", eMSE, eMM)
	}
	if hi > 10 || hi < 2 || lo < -10 || lo > -2 {
		t.Fatalf("Percentile = [%g, %g], want the outlier trimmed and ~±3.7σ", lo, hi)
	}
	// The field is honoured: 100 keeps everything.
	o.Percentile = 100
	if lo, hi := o.Range(Percentile); hi != 1e4 || lo != o.Min() {
		t.Fatalf("Percentile=100 gives [%g, %g], want MinMax", lo, hi)
	}
}

func TestPercentileAccuracy(t *testing.T) {
	r := newRand(3)
	data := uniform(r, 1_000_000, -1, 3)
	o := NewObserver()
	o.Percentile = 99
	observeAll(o, data, 50_000)
	lo, hi := o.Range(Percentile)
	// Exact quantiles of U(-1,3): -1+0.04 = -0.96 and 3-0.04 = 2.96.
	if math.Abs(float64(lo)+0.96) > 0.01 || math.Abs(float64(hi)-2.96) > 0.01 {
		t.Fatalf("1%%/99%% of U(-1,3) = [%g, %g], want ≈[-0.96, 2.96]", lo, hi)
	}
}

// TestMSEBeatsMinMax checks MSE against the real quantization error of the
// sample, which the test computes independently of the histogram model.
func TestMSEBeatsMinMax(t *testing.T) {
	r := newRand(4)
	withOutliers := laplace(r, 1_000_000, 1)
	for i := range 5 { // 5 rare outliers at ±40..60
		withOutliers[i*199_999] = float32((40 + 5*i) * (1 - 2*(i%2)))
	}
	single := gaussian(r, 1_000_000, 1)
	single[777] = 30 // one outlier at 30σ
	cases := []struct {
		name string
		data []float32
		gain float64 // MSE error must be <= gain * MinMax error
	}{
		{"gaussian", gaussian(r, 1_000_000, 1), 0.8},
		{"laplace", laplace(r, 1_000_000, 1), 0.7},
		{"laplace+outliers", withOutliers, 0.5},
		{"relu", relu(r, 1_000_000), 0.85},
		{"gaussian+single30σ", single, 0.5},
		{"uniform", uniform(r, 1_000_000, -1, 2), 1.0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, hi, eMSE, mmLo, mmHi, eMM := withMinMax(t, c.name, c.data, MSE)
			t.Logf("%-20s minmax [%8.4g, %8.4g] mse=%.4g | MSE [%8.4g, %8.4g] mse=%.4g | ratio %.3f",
				c.name, mmLo, mmHi, eMM, lo, hi, eMSE, eMSE/eMM)
			if eMSE > c.gain*eMM*1.0001 {
				t.Fatalf("MSE range error %.4g > %.2f × MinMax error %.4g", eMSE, c.gain, eMM)
			}
			if c.name == "relu" && lo != 0 {
				t.Fatalf("one-sided data got lo = %g, want 0", lo)
			}
			if c.name == "uniform" && (float64(hi) < 0.98*float64(mmHi) || float64(lo) > 0.98*float64(mmLo)) {
				t.Fatalf("uniform: MSE [%g, %g] not close to MinMax [%g, %g]", lo, hi, mmLo, mmHi)
			}
		})
	}
}

// TestMSEModel checks the histogram error model against the real error for
// the range the search picked.
func TestMSEModel(t *testing.T) {
	r := newRand(5)
	data := laplace(r, 500_000, 2)
	o := NewObserver()
	observeAll(o, data, 50_000)
	for _, m := range []Method{MinMax, MSE, Percentile} {
		lo, hi := o.Range(m)
		model := o.hist().sqErr(float64(lo), float64(hi))
		real := quantMSE(data, lo, hi)
		if math.Abs(model-real) > 0.05*real {
			t.Fatalf("%v: model error %.5g vs real %.5g", m, model, real)
		}
	}
}

func TestKLSane(t *testing.T) {
	r := newRand(6)
	cases := []struct {
		name       string
		data       []float32
		minFrac    float64 // KL's hi must be at least this fraction of MinMax's
		beatMinMax bool    // and its real error below MinMax's
	}{
		{"uniform", uniform(r, 1_000_000, -1, 2), 0.95, false},
		{"gaussian", gaussian(r, 1_000_000, 1), 0.5, true},
		{"laplace", laplace(r, 1_000_000, 1), 0.2, true},
		{"relu-laplace", rectify(laplace(r, 1_000_000, 1)), 0.5, true},
		// A very skewed one-sided tensor: KL trims the tail about as hard
		// as the 99.99th percentile, so its MSE is worse than MinMax; it
		// matches distribution shape, not squared error.
		{"relu-skewed", relu(r, 1_000_000), 0.3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, hi, eKL, mmLo, mmHi, eMM := withMinMax(t, c.name, c.data, KL)
			t.Logf("%-8s KL [%8.4g, %8.4g] mse=%.4g (minmax %.4g, ratio %.3f)", c.name, lo, hi, eKL, eMM, eKL/eMM)
			if float64(hi) < c.minFrac*float64(mmHi) || hi > mmHi || lo < mmLo {
				t.Fatalf("KL range [%g, %g] outside sane bounds of MinMax [%g, %g]", lo, hi, mmLo, mmHi)
			}
			if c.beatMinMax && eKL >= eMM {
				t.Fatalf("KL error %.4g not below MinMax %.4g", eKL, eMM)
			}
			if c.name[:4] == "relu" && lo != 0 {
				t.Fatalf("one-sided data got lo = %g", lo)
			}
			if c.name == "gaussian" && (hi < 2.5 || lo > -2.5) {
				t.Fatalf("gaussian KL range [%g, %g] clips inside 2.5σ", lo, hi)
			}
		})
	}
}

func TestAuto(t *testing.T) {
	r := newRand(7)
	sigmoid := gaussian(r, 1_000_000, 2)
	for i, x := range sigmoid {
		sigmoid[i] = float32(1 / (1 + math.Exp(-float64(x))))
	}
	cases := []struct {
		name string
		data []float32
		want Method
	}{
		{"uniform", uniform(r, 1_000_000, -1, 2), MinMax},
		{"sigmoid", sigmoid, MinMax},
		{"tiny-uniform", uniform(r, 100_000, -1e-6, 3e-6), MinMax},
		{"gaussian", gaussian(r, 1_000_000, 1), MSE},
		{"laplace", laplace(r, 1_000_000, 1), MSE},
		{"relu", relu(r, 1_000_000), MSE},
	}
	for _, c := range cases {
		o := NewObserver()
		observeAll(o, c.data, 100_000)
		m, lo, hi := o.Choose()
		if m != c.want {
			t.Fatalf("%s: Auto chose %v [%g, %g], want %v", c.name, m, lo, hi, c.want)
		}
		if alo, ahi := o.Range(Auto); alo != lo || ahi != hi {
			t.Fatalf("%s: Range(Auto) [%g, %g] != Choose [%g, %g]", c.name, alo, ahi, lo, hi)
		}
		if wlo, whi := o.Range(m); wlo != lo || whi != hi {
			t.Fatalf("%s: Choose range differs from Range(%v)", c.name, m)
		}
	}
}

func TestDeterminism(t *testing.T) {
	r := newRand(8)
	batches := [][]float32{
		uniform(r, 10_000, 0, 0.1),
		laplace(r, 50_000, 1),
		relu(r, 30_000),
		gaussian(r, 20_000, 40),
		{float32(math.NaN()), 1e5, float32(math.Inf(-1))},
	}
	run := func() *Observer {
		o := NewObserver()
		for _, b := range batches {
			o.Observe(b)
		}
		return o
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same Observe sequence gave different observer state")
	}
	for _, m := range allMethods {
		l1, h1 := a.Range(m)
		l2, h2 := b.Range(m)
		if math.Float32bits(l1) != math.Float32bits(l2) || math.Float32bits(h1) != math.Float32bits(h2) {
			t.Fatalf("%v not bit-identical: [%g, %g] vs [%g, %g]", m, l1, h1, l2, h2)
		}
	}
}

// TestRebinExact grows the range many times (both sides, and shifts) and
// checks that the histogram is exactly the one a direct binning of all data
// at the final width gives, and that Min/Max/Count are exact.
func TestRebinExact(t *testing.T) {
	r := newRand(9)
	var all []float32
	o := NewObserver()
	feed := func(b []float32) {
		all = append(all, b...)
		o.Observe(b)
	}
	feed(make([]float32, 100))        // zeros before any width exists
	feed(uniform(r, 5000, 0, 1e-3))   // one-sided, tiny
	feed(uniform(r, 5000, 0, 0.9e-3)) // inside: no re-bin
	w0 := o.width
	feed(relu(r, 5000))                 // grows right
	feed(uniform(r, 5000, -0.01, 0))    // small negative: shift, maybe no doubling
	feed(gaussian(r, 5000, 30))         // grows both sides
	feed([]float32{-1e6, 3e-7, 123456}) // far outliers
	feed(laplace(r, 5000, 0.001))       // back to small values
	feed([]float32{float32(math.Copysign(0, -1)), -1e-30, 1e-30})
	if o.width <= w0 {
		t.Fatalf("width did not grow: %g -> %g", w0, o.width)
	}
	lo, hi := extremes(all)
	if o.Min() != lo || o.Max() != hi || o.Count() != int64(len(all)) {
		t.Fatalf("Min/Max/Count = %g/%g/%d, want %g/%g/%d", o.Min(), o.Max(), o.Count(), lo, hi, len(all))
	}
	want := make([]int64, numBins)
	for _, v := range all {
		k := int64(math.Floor(float64(v)/o.width)) - o.start
		if k < 0 || k >= numBins {
			t.Fatalf("value %g outside the window", v)
		}
		want[k]++
	}
	if !reflect.DeepEqual(want, o.bins) {
		t.Fatal("re-binned histogram differs from direct binning at the final width")
	}
	// The observed span covers at least half the window (resolution bound).
	first, last := int64(binOf(float64(min(lo, 0)), o.width)), int64(binOf(float64(max(hi, 0)), o.width))
	if last-first+1 < numBins/2 {
		t.Fatalf("span uses only %d bins", last-first+1)
	}
}

func TestNonFiniteIgnored(t *testing.T) {
	o := NewObserver()
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	o.Observe([]float32{nan, inf, -inf})
	if o.Count() != 0 {
		t.Fatalf("Count = %d after only non-finite values", o.Count())
	}
	o.Observe([]float32{nan, -2, inf, 5, -inf})
	if o.Count() != 2 || o.Min() != -2 || o.Max() != 5 {
		t.Fatalf("Count/Min/Max = %d/%g/%g, want 2/-2/5", o.Count(), o.Min(), o.Max())
	}
	var sum int64
	for _, c := range o.bins {
		sum += c
	}
	if sum != 2 {
		t.Fatalf("histogram holds %d values, want 2", sum)
	}
}

func TestObserveNoAlloc(t *testing.T) {
	r := newRand(10)
	data := gaussian(r, 10_000, 1)
	o := NewObserver()
	o.Observe(data)
	if n := testing.AllocsPerRun(20, func() { o.Observe(data) }); n != 0 {
		t.Fatalf("Observe allocates %v times per call in steady state", n)
	}
}

// TestRandomProperties throws varied random data (scales from 1e-30 to 1e30,
// one-sided, constant, sparse, with NaN/Inf) at every method.
func TestRandomProperties(t *testing.T) {
	r := newRand(11)
	for trial := range 300 {
		o := NewObserver()
		if trial%7 == 0 {
			o.Percentile = r.Float64() * 120 // sometimes invalid
		}
		for range 1 + r.IntN(4) {
			n := 1 + r.IntN(2000)
			scale := math.Pow(10, float64(r.IntN(61)-30))
			shift := (r.Float64()*2 - 1) * scale * float64(r.IntN(3))
			b := make([]float32, n)
			for i := range b {
				var x float64
				switch r.IntN(6) {
				case 0:
					x = r.NormFloat64()
				case 1:
					x = r.ExpFloat64()
				case 2:
					x = -r.ExpFloat64()
				case 3:
					x = 0
				case 4:
					x = r.Float64()
				case 5:
					x = r.NormFloat64() * 1000
				}
				b[i] = float32(x*scale + shift)
			}
			if r.IntN(5) == 0 {
				b[r.IntN(n)] = float32(math.NaN())
				b[r.IntN(n)] = float32(math.Inf(1 - 2*r.IntN(2)))
			}
			if r.IntN(8) == 0 {
				clear(b)
			}
			o.Observe(b)
		}
		for _, m := range allMethods {
			lo, hi := o.Range(m)
			checkRange(t, "random", m, lo, hi)
			if o.Count() > 0 && (lo < min(o.Min(), 0) || hi > max(o.Max(), 0)) && hi != tinyRange {
				t.Fatalf("trial %d %v: [%g, %g] wider than data [%g, %g]", trial, m, lo, hi, o.Min(), o.Max())
			}
		}
	}
}

// FuzzRange reads the fuzz input as float32 batches.
func FuzzRange(f *testing.F) {
	f.Add([]byte{0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf, 0xff, 0xff, 0xff, 0x7f}, uint8(2))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, split uint8) {
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		}
		o := NewObserver()
		observeAll(o, vals, 1+int(split))
		for _, m := range allMethods {
			lo, hi := o.Range(m)
			checkRange(t, "fuzz", m, lo, hi)
		}
	})
}

func BenchmarkObserve(b *testing.B) {
	r := newRand(12)
	data := relu(r, 224*224*64)
	o := NewObserver()
	o.Observe(data)
	b.SetBytes(int64(4 * len(data)))
	b.ReportAllocs()
	for b.Loop() {
		o.Observe(data)
	}
}

func BenchmarkRange(b *testing.B) {
	r := newRand(13)
	o := NewObserver()
	o.Observe(laplace(r, 224*224*64, 1))
	for _, m := range allMethods {
		b.Run(m.String(), func(b *testing.B) {
			for b.Loop() {
				o.Range(m)
			}
		})
	}
}
