package preprocess

import (
	"fmt"
	"sync"
)

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
	needH, needV := dst.W != src.W, dst.H != src.H
	switch {
	case needH && needV:
		cols := NewCoeffs(src.W, dst.W, 0, dst.W, f)
		rows := NewCoeffs(src.H, dst.H, 0, dst.H, f)
		// The horizontal pass only produces the source rows the vertical
		// pass will read.
		first := rows.Start[0]
		last := rows.Start[dst.H-1] + rows.N[dst.H-1]
		tmp := getScratch(dst.W, last-first)
		resampleH(tmp, src, first, cols)
		resampleV(dst, tmp, first, rows)
		putScratch(tmp)
	case needH:
		resampleH(dst, src, 0, NewCoeffs(src.W, dst.W, 0, dst.W, f))
	case needV:
		resampleV(dst, src, 0, NewCoeffs(src.H, dst.H, 0, dst.H, f))
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

// half is the rounding bias every fixed-point sum starts from.
const half = 1 << (PrecisionBits - 1)

// resampleH resizes rows first..first+dst.H-1 of src horizontally into dst.
func resampleH(dst, src *RGB8, first int, c Coeffs) {
	for y := range dst.H {
		in := src.Pix[(first+y)*src.W*3:][:src.W*3]
		out := dst.Pix[y*dst.W*3:][:dst.W*3]
		for x := range dst.W {
			w := c.W[x*c.KSize:][:c.N[x]]
			px := in[c.Start[x]*3:]
			r, g, b := int32(half), int32(half), int32(half)
			for i, wi := range w {
				r += int32(px[3*i]) * wi
				g += int32(px[3*i+1]) * wi
				b += int32(px[3*i+2]) * wi
			}
			out[3*x], out[3*x+1], out[3*x+2] = ClipFixed(r), ClipFixed(g), ClipFixed(b)
		}
	}
}

// resampleV resizes src vertically into dst; src's row 0 is source row
// first (the horizontal pass may have skipped rows nobody reads).
func resampleV(dst, src *RGB8, first int, c Coeffs) {
	stride := src.W * 3
	for y := range dst.H {
		w := c.W[y*c.KSize:][:c.N[y]]
		base := (c.Start[y] - first) * stride
		out := dst.Pix[y*stride:][:stride]
		for x := range stride {
			acc := int32(half)
			for i, wi := range w {
				acc += int32(src.Pix[base+i*stride+x]) * wi
			}
			out[x] = ClipFixed(acc)
		}
	}
}

// resizeNearest matches Pillow's NEAREST resize: every output pixel is a
// copy of the source pixel NewCoeffs picks.
func resizeNearest(dst, src *RGB8) {
	xs := NewCoeffs(src.W, dst.W, 0, dst.W, Nearest).Start
	ys := NewCoeffs(src.H, dst.H, 0, dst.H, Nearest).Start
	for y, iy := range ys {
		in := src.Pix[iy*src.W*3:]
		out := dst.Pix[y*dst.W*3:]
		for x, ix := range xs {
			copy(out[3*x:3*x+3], in[3*ix:3*ix+3])
		}
	}
}
