package train

import "neonet.dev/neonet/preprocess"

// views are the variants of a training photo that --augment adds to it,
// each a function of the photo: a mirror image, and crops of 90% of each
// side from opposite corners, the second also mirrored. Mirroring suits
// scenes whose class does not depend on left and right (a door, a bird, a
// part on a belt); the crops move and enlarge the subject a little, as a
// camera nudged on its mount would. They are fixed rather than random, so
// that the same photos always train the same head.
var views = []func(*preprocess.RGB8) *preprocess.RGB8{
	mirror,
	func(m *preprocess.RGB8) *preprocess.RGB8 { return crop(m, 0.9, false) },
	func(m *preprocess.RGB8) *preprocess.RGB8 { return mirror(crop(m, 0.9, true)) },
}

// mirror returns m flipped left to right.
func mirror(m *preprocess.RGB8) *preprocess.RGB8 {
	out := preprocess.NewRGB8(m.W, m.H)
	for y := range m.H {
		src, dst := m.Pix[3*y*m.W:][:3*m.W], out.Pix[3*y*m.W:][:3*m.W]
		for x := range m.W {
			copy(dst[3*(m.W-1-x):][:3], src[3*x:][:3])
		}
	}
	return out
}

// crop returns the frac x frac part of m at its top-left corner, or at
// its bottom-right one.
func crop(m *preprocess.RGB8, frac float64, bottomRight bool) *preprocess.RGB8 {
	w, h := max(int(frac*float64(m.W)), 1), max(int(frac*float64(m.H)), 1)
	x0, y0 := 0, 0
	if bottomRight {
		x0, y0 = m.W-w, m.H-h
	}
	out := preprocess.NewRGB8(w, h)
	for y := range h {
		copy(out.Pix[3*y*w:][:3*w], m.Pix[3*((y0+y)*m.W+x0):][:3*w])
	}
	return out
}
