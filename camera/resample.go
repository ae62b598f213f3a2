package camera

import (
	"math"

	"neonet.dev/neonet/preprocess"
)

// This file computes Pillow's resampling coefficients, restricted to the
// outputs a centre crop keeps. It mirrors preprocess/resize.go (which keeps
// them unexported) operation for operation, because a one-ulp difference
// in a weight can move a rounded pixel; TestPreprocessorMatchesReference
// holds the two together.

// precisionBits is the number of fractional bits of the fixed-point
// weights, and half the rounding bias added to every accumulator.
const (
	precisionBits = 32 - 8 - 2
	half          = 1 << (precisionBits - 1)
	one           = 1 << precisionBits
)

// axis maps the outputs of the crop along one axis to source pixels: pad0
// outputs of padding, then valid outputs read from the source, then pad1
// of padding. Valid output i reads n[i] pixels from start[i] with weights
// w[i*ksize:]. An axis that is not resized, and the nearest filter, read
// one pixel with weight one, which reproduces an unresized axis exactly.
type axis struct {
	pad0, valid, pad1 int
	ksize             int
	start, n          []int
	w                 []int32
}

// newAxis maps an axis of inSize pixels, resized to resized, centre-cropped
// to crop. Resampling windows are padded to a multiple of taps when the
// axis is long enough (see uniform).
func newAxis(inSize, resized, crop int, f preprocess.Filter, taps int) axis {
	off := cropOffset(resized, crop)
	first := max(0, -off)                     // first output inside the image
	end := max(min(crop, resized-off), first) // one past the last
	a := axis{pad0: first, valid: end - first, pad1: crop - end}
	a.start, a.n = make([]int, a.valid), make([]int, a.valid)

	switch {
	case resized == inSize:
		a.ksize, a.w = 1, make([]int32, a.valid)
		for i := range a.valid {
			a.start[i], a.n[i], a.w[i] = first+off+i, 1, one
		}
	case f == preprocess.Nearest:
		a.ksize, a.w = 1, make([]int32, a.valid)
		src := nearestIndices(inSize, resized)
		for i := range a.valid {
			a.start[i], a.n[i], a.w[i] = src[first+off+i], 1, one
		}
	default:
		a.fillCoeffs(inSize, resized, first+off, f)
		a.uniform(inSize, taps)
	}
	return a
}

// fillCoeffs computes Pillow's antialiased weights for resized outputs
// from, from+1, ..., from+valid-1.
func (a *axis) fillCoeffs(inSize, outSize, from int, f preprocess.Filter) {
	support, eval := 1.0, triangle
	if f == preprocess.Bicubic {
		support, eval = 2.0, cubic
	}
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1) // the kernel stretches only when shrinking
	support *= filterScale
	a.ksize = int(math.Ceil(support))*2 + 1
	a.w = make([]int32, a.valid*a.ksize)
	inv := 1 / filterScale
	ww := make([]float64, a.ksize)
	for i := range a.valid {
		center := (float64(from+i) + 0.5) * scale
		// int() truncates toward zero, as Pillow's window ends do.
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), inSize)
		sum := 0.0
		for j := lo; j < hi; j++ {
			v := eval((float64(j) - center + 0.5) * inv)
			ww[j-lo] = v
			sum += v
		}
		for j := lo; j < hi; j++ {
			v := ww[j-lo]
			if sum != 0 {
				v /= sum
			}
			a.w[i*a.ksize+j-lo] = toFixed(v)
		}
		a.start[i], a.n[i] = lo, hi-lo
	}
}

// uniform gives every window the same length, the longest one's rounded
// up to a multiple of taps if the axis has that many pixels, so that the
// inner loops run a fixed, unrollable number of taps: shorter windows get
// zero weights after their own, moved back to end at the image border when
// needed. Zero weights add nothing, so the sums are unchanged.
func (a *axis) uniform(inSize, taps int) {
	k := 1
	for _, n := range a.n {
		k = max(k, n)
	}
	if rounded := (k + taps - 1) / taps * taps; rounded <= inSize {
		k = rounded
	}
	w := make([]int32, a.valid*k)
	for i, n := range a.n {
		start := min(a.start[i], inSize-k)
		copy(w[i*k+a.start[i]-start:], a.w[i*a.ksize:][:n])
		a.start[i], a.n[i] = start, k
	}
	a.ksize, a.w = k, w
}

// nearestIndices is Pillow's NEAREST mapping: the source coordinate of
// each output centre, accumulated step by step in float64 and truncated.
func nearestIndices(inSize, outSize int) []int {
	step := float64(inSize) / float64(outSize)
	idx := make([]int, outSize)
	pos := step * 0.5
	for i := range idx {
		idx[i] = min(int(pos), inSize-1)
		pos += step
	}
	return idx
}

// The explicit float64 conversions keep the compiler from fusing a multiply
// and an add into one FMA (as it does on arm64): Pillow computes without.

func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// cubic is Keys' kernel with a = -0.5 in Pillow's Horner form.
func cubic(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	if x < 1 {
		p := float64((a+2)*x) - (a + 3)
		return float64(p*x*x) + 1
	}
	if x < 2 {
		p := float64((x-5)*x) + 8
		p = float64(p*x) - 4
		return p * a
	}
	return 0
}

// toFixed rounds a weight half away from zero to precisionBits fractions.
func toFixed(v float64) int32 {
	s := float64(v * one)
	if v < 0 {
		return int32(-0.5 + s)
	}
	return int32(0.5 + s)
}

// clipFixed turns an accumulated fixed-point sum into a byte.
func clipFixed(acc int32) uint8 {
	if acc <= 0 {
		return 0
	}
	if acc >= 255<<precisionBits {
		return 255
	}
	return uint8(acc >> precisionBits)
}
