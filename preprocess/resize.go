package preprocess

import (
	"fmt"
	"math"
	"sync"
)

// Filter selects the resampling kernel of Resize.
type Filter int

const (
	// Bilinear is the triangle filter; torchvision's default interpolation.
	Bilinear Filter = iota
	// Bicubic is the cubic convolution kernel with a = -0.5.
	Bicubic
	// Nearest picks the source pixel whose area contains the output
	// pixel's centre; no antialiasing.
	Nearest
)

func (f Filter) String() string {
	switch f {
	case Bilinear:
		return "bilinear"
	case Bicubic:
		return "bicubic"
	case Nearest:
		return "nearest"
	}
	return fmt.Sprintf("Filter(%d)", int(f))
}

// Resize returns src resampled to w x h, reproducing Pillow's
// Image.resize(size, filter) for 8-bit RGB images bit for bit.
//
// Bilinear and Bicubic are separable convolutions, horizontal pass first,
// each pass run only if that dimension changes. When shrinking, the kernel
// is stretched by the shrink factor so that every source pixel contributes
// (antialiasing, as PIL and torchvision's PIL path do). Weights are
// normalised to sum to one and then rounded to fixed point with 22
// fractional bits; each pass rounds and clamps its output to 0..255.
//
// It panics if w or h is not positive or f is unknown.
func Resize(src *RGB8, w, h int, f Filter) *RGB8 {
	dst := &RGB8{W: w, H: h}
	ResizeInto(dst, src, f)
	return dst
}

// ResizeInto resizes src to dst.W x dst.H, reusing dst.Pix when it is large
// enough, and reusing the intermediate buffer across calls. dst must not
// share memory with src.
func ResizeInto(dst, src *RGB8, f Filter) {
	if dst.W <= 0 || dst.H <= 0 {
		panic(fmt.Sprintf("preprocess: resize to %dx%d", dst.W, dst.H))
	}
	n := dst.W * dst.H * 3
	if cap(dst.Pix) < n {
		dst.Pix = make([]uint8, n)
	}
	dst.Pix = dst.Pix[:n]

	if f == Nearest {
		resizeNearest(dst, src)
		return
	}
	k := kernelFor(f)
	needH, needV := dst.W != src.W, dst.H != src.H
	switch {
	case needH && needV:
		cols := newCoeffs(src.W, dst.W, k)
		rows := newCoeffs(src.H, dst.H, k)
		// The horizontal pass only produces the source rows the vertical
		// pass will read.
		first := rows.start[0]
		last := rows.start[dst.H-1] + rows.n[dst.H-1]
		tmp := getScratch(dst.W, last-first)
		resampleH(tmp, src, first, cols)
		resampleV(dst, tmp, first, rows)
		putScratch(tmp)
	case needH:
		resampleH(dst, src, 0, newCoeffs(src.W, dst.W, k))
	case needV:
		resampleV(dst, src, 0, newCoeffs(src.H, dst.H, k))
	default:
		copy(dst.Pix, src.Pix)
	}
}

var scratch sync.Pool

func getScratch(w, h int) *RGB8 {
	m, _ := scratch.Get().(*RGB8)
	if m == nil {
		m = &RGB8{}
	}
	n := w * h * 3
	if cap(m.Pix) < n {
		m.Pix = make([]uint8, n)
	}
	m.W, m.H, m.Pix = w, h, m.Pix[:n]
	return m
}

func putScratch(m *RGB8) { scratch.Put(m) }

// kernel is a symmetric resampling filter with support [-support, support]
// at scale 1.
type kernel struct {
	support float64
	eval    func(x float64) float64
}

func kernelFor(f Filter) kernel {
	switch f {
	case Bilinear:
		return kernel{1, triangle}
	case Bicubic:
		return kernel{2, cubic}
	}
	panic(fmt.Sprintf("preprocess: unknown filter %v", f))
}

// The explicit float64 conversions below stop the compiler from fusing a
// multiply and an add into one FMA instruction (which it does on arm64):
// Pillow's weights are computed without FMA, and a one-ulp change can move
// a rounded fixed-point weight.

func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// cubic is Keys' cubic convolution kernel with a = -0.5, written in
// Horner form as Pillow evaluates it.
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

// precisionBits is the number of fractional bits of the fixed-point
// weights: 32 bits minus 8 for the pixel value and 2 of headroom for
// weights above one and the sum of the bicubic kernel's lobes.
const precisionBits = 32 - 8 - 2

// coeffs holds, for each output pixel along one axis, the first source
// pixel it reads (start), how many it reads (n), and their fixed-point
// weights at w[i*ksize:].
type coeffs struct {
	ksize    int
	start, n []int
	w        []int32
}

// newCoeffs computes the weights mapping inSize pixels to outSize.
func newCoeffs(inSize, outSize int, k kernel) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1) // stretch the kernel only when shrinking
	support := k.support * filterScale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{
		ksize: ksize,
		start: make([]int, outSize),
		n:     make([]int, outSize),
		w:     make([]int32, outSize*ksize),
	}
	inv := 1 / filterScale
	ww := make([]float64, ksize)
	for o := range outSize {
		center := (float64(o) + 0.5) * scale
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
			c.w[o*ksize+i-lo] = toFixed(v)
		}
		c.start[o], c.n[o] = lo, hi-lo
	}
	return c
}

// toFixed rounds a weight half away from zero to precisionBits fractions.
func toFixed(v float64) int32 {
	s := float64(v * (1 << precisionBits))
	if v < 0 {
		return int32(-0.5 + s)
	}
	return int32(0.5 + s)
}

// clipFixed converts an accumulated fixed-point sum to a pixel.
func clipFixed(acc int32) uint8 {
	if acc <= 0 {
		return 0
	}
	if acc >= 255<<precisionBits {
		return 255
	}
	return uint8(acc >> precisionBits)
}

// resampleH resizes rows first..first+dst.H-1 of src horizontally into dst.
func resampleH(dst, src *RGB8, first int, c coeffs) {
	const half = 1 << (precisionBits - 1)
	for y := range dst.H {
		in := src.Pix[(first+y)*src.W*3:][:src.W*3]
		out := dst.Pix[y*dst.W*3:][:dst.W*3]
		for x := range dst.W {
			w := c.w[x*c.ksize:][:c.n[x]]
			px := in[c.start[x]*3:]
			r, g, b := int32(half), int32(half), int32(half)
			for i, wi := range w {
				r += int32(px[3*i]) * wi
				g += int32(px[3*i+1]) * wi
				b += int32(px[3*i+2]) * wi
			}
			out[3*x], out[3*x+1], out[3*x+2] = clipFixed(r), clipFixed(g), clipFixed(b)
		}
	}
}

// resampleV resizes src vertically into dst; src's row 0 is source row
// first (the horizontal pass may have skipped rows nobody reads).
func resampleV(dst, src *RGB8, first int, c coeffs) {
	const half = 1 << (precisionBits - 1)
	stride := src.W * 3
	for y := range dst.H {
		w := c.w[y*c.ksize:][:c.n[y]]
		base := (c.start[y] - first) * stride
		out := dst.Pix[y*stride:][:stride]
		for x := range stride {
			acc := int32(half)
			for i, wi := range w {
				acc += int32(src.Pix[base+i*stride+x]) * wi
			}
			out[x] = clipFixed(acc)
		}
	}
}

// resizeNearest matches Pillow's NEAREST resize: the source coordinate of
// an output pixel centre is accumulated step by step in float64 (as Pillow
// does, so rounding drifts identically) and truncated.
func resizeNearest(dst, src *RGB8) {
	sx := float64(src.W) / float64(dst.W)
	sy := float64(src.H) / float64(dst.H)
	xs := make([]int, dst.W)
	pos := sx * 0.5
	for x := range xs {
		xs[x] = min(int(pos), src.W-1)
		pos += sx
	}
	pos = sy * 0.5
	for y := range dst.H {
		in := src.Pix[min(int(pos), src.H-1)*src.W*3:]
		out := dst.Pix[y*dst.W*3:]
		for x, ix := range xs {
			copy(out[3*x:3*x+3], in[3*ix:3*ix+3])
		}
		pos += sy
	}
}
