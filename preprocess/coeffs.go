package preprocess

import "math"

// PrecisionBits is the number of fractional bits of Pillow's fixed-point
// resampling weights: 32 bits minus 8 for the pixel value and 2 of headroom
// for weights above one and the sum of the bicubic kernel's lobes. A pass
// starts each sum at 1<<(PrecisionBits-1), adds pixel*weight products in
// int32 and turns the sum into a pixel with ClipFixed.
const PrecisionBits = 32 - 8 - 2

// Coeffs are the fixed-point weights of a run of consecutive outputs along
// one axis: output i of the run reads N[i] source pixels from Start[i],
// weighted by W[i*KSize:][:N[i]]. KSize is at least every N[i].
type Coeffs struct {
	KSize    int
	Start, N []int
	W        []int32
}

// NewCoeffs returns Pillow's weights for outputs first, first+1, ...,
// first+count-1 of an axis of inSize source pixels resized to outSize
// pixels with filter f:
//
//   - inSize == outSize: each output reads its own pixel with weight one,
//     which is what Pillow's skipping the pass amounts to;
//   - Nearest: each output reads, with weight one, the pixel whose area
//     holds its centre, as Pillow's NEAREST finds it;
//   - Bilinear and Bicubic: Pillow's antialiased convolution, the kernel
//     stretched by the shrink factor when shrinking, weights normalised to
//     sum to one and rounded half away from zero to PrecisionBits bits.
//
// It panics if f is unknown.
func NewCoeffs(inSize, outSize, first, count int, f Filter) Coeffs {
	switch {
	case inSize == outSize:
		return unitCoeffs(count, func(i int) int { return first + i })
	case f == Nearest:
		// The source coordinate of each output centre is accumulated
		// step by step in float64 (as Pillow does, so rounding drifts
		// identically) and truncated.
		step := float64(inSize) / float64(outSize)
		pos := step * 0.5
		for range first {
			pos += step
		}
		return unitCoeffs(count, func(int) int {
			i := min(int(pos), inSize-1)
			pos += step
			return i
		})
	}
	return convCoeffs(inSize, outSize, first, count, kernelFor(f))
}

// unitCoeffs has output i read pixel src(i), in order of i, with weight one.
func unitCoeffs(count int, src func(i int) int) Coeffs {
	c := Coeffs{KSize: 1, Start: make([]int, count), N: make([]int, count), W: make([]int32, count)}
	for i := range count {
		c.Start[i], c.N[i], c.W[i] = src(i), 1, 1<<PrecisionBits
	}
	return c
}

// convCoeffs computes the weights of a convolution with kernel k.
func convCoeffs(inSize, outSize, first, count int, k kernel) Coeffs {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1) // stretch the kernel only when shrinking
	support := k.support * filterScale
	ksize := int(math.Ceil(support))*2 + 1
	c := Coeffs{
		KSize: ksize,
		Start: make([]int, count),
		N:     make([]int, count),
		W:     make([]int32, count*ksize),
	}
	inv := 1 / filterScale
	ww := make([]float64, ksize)
	for o := range count {
		center := (float64(first+o) + 0.5) * scale
		// int() truncates toward zero; that (not floor) is the rounding
		// Pillow applies to the window ends before clamping.
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), inSize)
		sum := 0.0
		for i := lo; i < hi; i++ {
			v := k.eval((float64(i) - center + 0.5) * inv)
			ww[i-lo] = v
			sum += v
		}
		for i := lo; i < hi; i++ {
			v := ww[i-lo]
			if sum != 0 {
				v /= sum
			}
			c.W[o*ksize+i-lo] = toFixed(v)
		}
		c.Start[o], c.N[o] = lo, hi-lo
	}
	return c
}

// toFixed rounds a weight half away from zero to PrecisionBits fractions.
func toFixed(v float64) int32 {
	s := float64(v * (1 << PrecisionBits))
	if v < 0 {
		return int32(-0.5 + s)
	}
	return int32(0.5 + s)
}

// ClipFixed converts an accumulated fixed-point sum to a pixel: its
// integer part, clamped to 0..255.
func ClipFixed(acc int32) uint8 {
	if acc <= 0 {
		return 0
	}
	if acc >= 255<<PrecisionBits {
		return 255
	}
	return uint8(acc >> PrecisionBits)
}
