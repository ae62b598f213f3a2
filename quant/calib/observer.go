package calib

import "math"

// numBins is the histogram window size. The observed range always covers at
// least numBins/2 of them (see the package doc), so MSE/KL/Percentile see
// 2048+ bins while the hot loop's counts (32 KiB) stay in L1 cache.
const numBins = 4096

// DefaultPercentile is the Percentile an Observer starts with.
const DefaultPercentile = 99.99

// Observer accumulates the activations of one tensor. It is not safe for
// concurrent use; use one Observer per tensor.
type Observer struct {
	// Percentile is the upper percentile (in percent, in (50, 100]) kept by
	// the Percentile method; 100-Percentile is trimmed from the lower tail.
	// Values outside (50, 100] mean DefaultPercentile.
	Percentile float64

	count    int64
	min, max float32
	// exactZeros counts values == 0 (ReLU, padding). They are quantized
	// without error, so the range searches treat them as a point mass
	// rather than spreading them over bin 0.
	exactZeros int64

	// pendingZeros counts values seen while everything observed was exactly
	// 0; no bin width can be derived from a zero span, so the histogram is
	// created lazily and these are added to bin 0 then.
	pendingZeros int64
	// width is the bin width, a power of two; 0 until the histogram exists.
	width float64
	// start is the absolute index of bins[0]; absolute bin k holds values in
	// [k*width, (k+1)*width). The window always contains bin 0 (value 0), so
	// -numBins < start <= 0.
	start int64
	bins  []int64
	spare []int64 // re-binning scratch, swapped with bins

	// Weighted observation (ObserveWeighted): the same bins, each value
	// counting its channel's weight; the range searches then use these.
	weighted      []float64
	wSpare        []float64
	wZeros        float64 // weight of the exact zeros
	wPendingZeros float64 // of the zeros seen before the histogram existed
}

// NewObserver returns an empty Observer using DefaultPercentile.
func NewObserver() *Observer {
	return &Observer{Percentile: DefaultPercentile}
}

// Count returns the number of finite values observed.
func (o *Observer) Count() int64 { return o.count }

// Min returns the smallest finite value observed (0 if none).
func (o *Observer) Min() float32 { return o.min }

// Max returns the largest finite value observed (0 if none).
func (o *Observer) Max() float32 { return o.max }

// Observe adds one batch of values (typically the whole tensor for one
// calibration image). NaN and ±Inf are ignored. After the histogram has
// been created, Observe does not allocate.
func (o *Observer) Observe(values []float32) {
	lo, hi, finite := batchExtremes(values)
	n := int64(len(values))
	if !finite {
		n, lo, hi = finiteExtremes(values)
	}
	if n == 0 {
		return
	}
	if o.count == 0 {
		o.min, o.max = lo, hi
	} else {
		o.min, o.max = min(o.min, lo), max(o.max, hi)
	}
	o.count += n

	if o.width == 0 {
		if o.min == 0 && o.max == 0 {
			o.pendingZeros += n
			o.exactZeros += n
			return
		}
		o.init()
	} else {
		o.cover()
	}

	// Pass 2: bin. After cover() every finite value lies inside the window;
	// the bounds test only lets the compiler drop its own. The loop body is
	// branch-free apart from that test, because mixed-sign data and ReLU
	// zeros would make data-dependent branches mispredict half the time.
	inv := 1 / o.width
	start := o.start
	bins := o.bins[:numBins]
	var zeros int64
	if finite {
		for _, v := range values {
			zeros += isZero(v)
			if k := binIndex(v, inv) - start; uint64(k) < numBins {
				bins[k]++
			}
		}
	} else {
		for _, v := range values {
			if !isFinite(v) {
				continue
			}
			zeros += isZero(v)
			if k := binIndex(v, inv) - start; uint64(k) < numBins {
				bins[k]++
			}
		}
	}
	o.exactZeros += zeros
}

// ObserveWeighted observes an NHWC batch whose channels (C =
// len(channelWeights), the fastest-varying index) matter unequally: each
// value counts its channel's weight (>= 0) in the histogram the range
// searches read, so the range minimises the weighted error, such as the
// error a following convolution sees when channel c's error reaches its
// outputs through weights of squared norm channelWeights[c]. Min, Max and
// Count stay unweighted. An observer must be fed either only by Observe or
// only by ObserveWeighted.
func (o *Observer) ObserveWeighted(values []float32, channelWeights []float64) {
	if o.weighted == nil {
		o.weighted = []float64{} // weighted mode; allocated with the histogram
	}
	o.Observe(values)
	c := len(channelWeights)
	if o.width == 0 {
		for i, v := range values {
			if v == 0 {
				o.wPendingZeros += channelWeights[i%c]
				o.wZeros += channelWeights[i%c]
			}
		}
		return
	}
	inv := 1 / o.width
	bins := o.weighted[:numBins]
	for p := 0; p+c <= len(values); p += c {
		for j, v := range values[p : p+c] {
			if !isFinite(v) {
				continue
			}
			w := channelWeights[j]
			if v == 0 {
				o.wZeros += w
			}
			if k := binIndex(v, inv) - o.start; uint64(k) < numBins {
				bins[k] += w
			}
		}
	}
}

// batchExtremes returns min and max of values and whether all are finite.
// The min/max builtins propagate NaN, so one test after the loop covers NaN
// and ±Inf. Four independent accumulators keep the loop memory-bound (it
// measured as fast as a plain sum); a compare-and-branch loop with a
// separate NaN test was about twice as slow.
func batchExtremes(values []float32) (lo, hi float32, finite bool) {
	inf := float32(math.Inf(1))
	l0, l1, l2, l3 := inf, inf, inf, inf
	h0, h1, h2, h3 := -inf, -inf, -inf, -inf
	i := 0
	for ; i+4 <= len(values); i += 4 {
		v := values[i : i+4 : i+4]
		l0, h0 = min(l0, v[0]), max(h0, v[0])
		l1, h1 = min(l1, v[1]), max(h1, v[1])
		l2, h2 = min(l2, v[2]), max(h2, v[2])
		l3, h3 = min(l3, v[3]), max(h3, v[3])
	}
	for _, v := range values[i:] {
		l0, h0 = min(l0, v), max(h0, v)
	}
	lo, hi = min(l0, l1, l2, l3), max(h0, h1, h2, h3)
	return lo, hi, lo >= -math.MaxFloat32 && hi <= math.MaxFloat32
}

// binIndex returns floor(v*inv) for finite v whose bin is near the window.
// inv is a power of two, so t is exact; t-trunc(t) is its exact fractional
// part, whose sign bit is the floor correction for negative non-integers.
// Adding +0 turns -0 into +0, whose fractional part must not count as
// negative.
func binIndex(v float32, inv float64) int64 {
	t := float64(v)*inv + 0
	k := int64(t)
	return k - int64(math.Float64bits(t-float64(k))>>63)
}

// isZero is 1 for ±0 and 0 otherwise, without a branch.
func isZero(v float32) int64 {
	return int64((uint64(math.Float32bits(v)<<1) - 1) >> 63)
}

func isFinite(v float32) bool { return v-v == 0 }

// finiteExtremes is the slow path of Observe for batches containing NaN/Inf.
func finiteExtremes(values []float32) (n int64, lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range values {
		if !isFinite(v) {
			continue
		}
		n++
		lo, hi = min(lo, v), max(hi, v)
	}
	return n, lo, hi
}

// span is the observed range widened to include 0, as float64.
func (o *Observer) span() (lo, hi float64) {
	return float64(min(o.min, 0)), float64(max(o.max, 0))
}

// init creates the histogram for the first non-zero span, with the smallest
// power-of-two width that fits it in the window.
func (o *Observer) init() {
	lo, hi := o.span()
	_, exp := math.Frexp((hi - lo) / numBins) // (hi-lo)/numBins < 2^exp
	w := math.Ldexp(1, exp)
	for !fits(lo, hi, w) { // alignment can cost up to two extra bins
		w *= 2
	}
	o.bins = make([]int64, numBins)
	o.spare = make([]int64, numBins)
	o.width = w
	o.start = place(lo, hi, w)
	o.bins[-o.start] += o.pendingZeros
	o.pendingZeros = 0
	if o.weighted != nil {
		o.weighted = make([]float64, numBins)
		o.wSpare = make([]float64, numBins)
		o.weighted[-o.start] += o.wPendingZeros
		o.wPendingZeros = 0
	}
}

// cover makes the window contain the observed span, doubling the width as
// often as needed and merging bins exactly: with edges at multiples of w,
// absolute bin k at width w lies entirely inside bin k>>d at width w<<d.
func (o *Observer) cover() {
	lo, hi := o.span()
	// Compared in float64: with a tiny old width the indices of new values
	// can exceed int64.
	first, last := binOf(lo, o.width), binOf(hi, o.width)
	if first >= float64(o.start) && last < float64(o.start+numBins) {
		return
	}
	d := uint(0)
	w := o.width
	for !fits(lo, hi, w) {
		w *= 2
		d++
	}
	start := place(lo, hi, w)
	clear(o.spare)
	for j, c := range o.bins {
		if c != 0 {
			o.spare[(o.start+int64(j))>>d-start] += c
		}
	}
	o.bins, o.spare = o.spare, o.bins
	if o.weighted != nil {
		clear(o.wSpare)
		for j, c := range o.weighted {
			if c != 0 {
				o.wSpare[(o.start+int64(j))>>d-start] += c
			}
		}
		o.weighted, o.wSpare = o.wSpare, o.weighted
	}
	o.width, o.start = w, start
}

// binOf returns the absolute bin index floor(x/w), as a float64 because it
// may be out of int64 range before the width has grown.
func binOf(x, w float64) float64 { return math.Floor(x / w) }

func fits(lo, hi, w float64) bool { return binOf(hi, w)-binOf(lo, w) < numBins }

// place chooses the window start for span [lo, hi] (lo <= 0 <= hi). Spare
// bins go on the side(s) where the data can still grow: none below 0 for
// non-negative data (ReLU), none above 0 for non-positive data, otherwise
// split evenly, so that later growth re-bins less often.
func place(lo, hi, w float64) int64 {
	// Once the span fits, lo <= 0 <= hi keeps both indices within numBins
	// of 0, so the conversions are safe.
	first, last := int64(binOf(lo, w)), int64(binOf(hi, w))
	switch {
	case lo == 0:
		return first
	case hi == 0:
		return last - numBins + 1
	default:
		return first - (numBins-(last-first+1))/2
	}
}
