package preprocess

import "image"

// JPEG colour conversion, matched to what libjpeg-turbo (and therefore PIL)
// does after its IDCT:
//
//  1. Subsampled chroma is upsampled with libjpeg's "fancy" triangle filter:
//     each output sample is 3/4 of the nearest chroma sample plus 1/4 of the
//     next nearest, along each subsampled axis. Chroma sample i sits between
//     output samples 2i and 2i+1, so for even outputs the next nearest is i-1
//     and for odd outputs i+1. Integer rounding biases alternate between the
//     two outputs of a pair so that errors do not accumulate in one
//     direction. At the image edges the missing neighbour is the sample
//     itself (edge replication).
//  2. YCbCr is converted to RGB with JFIF's full-range equations in 16-bit
//     fixed point, clamping to 0..255.
//
// Go's image/jpeg does neither: it returns the raw subsampled planes, and
// color.YCbCrToRGB rounds differently. Doing both steps libjpeg's way leaves
// the IDCT as the only source of disagreement with PIL.

// Fixed-point constants, round(c * 2^16), of the JFIF equations
//
//	R = Y + 1.40200 Cr'
//	G = Y - 0.34414 Cb' - 0.71414 Cr'
//	B = Y + 1.77200 Cb'
//
// where Cb' = Cb-128 and Cr' = Cr-128.
const (
	fixShift = 16
	fixHalf  = 1 << (fixShift - 1)
	fixCrR   = 91881  // 1.40200
	fixCbG   = 22554  // 0.34414
	fixCrG   = 46802  // 0.71414
	fixCbB   = 116130 // 1.77200
)

// yccToRGB converts one pixel. R and B round each chroma term on its own;
// G rounds the sum of its two terms once. >> on negative int32 floors, which
// is the rounding libjpeg's tables are built with.
func yccToRGB(y, cb, cr uint8) (r, g, b uint8) {
	yy, cbv, crv := int32(y), int32(cb)-128, int32(cr)-128
	r = clamp8(yy + (fixCrR*crv+fixHalf)>>fixShift)
	g = clamp8(yy + (-fixCbG*cbv-fixCrG*crv+fixHalf)>>fixShift)
	b = clamp8(yy + (fixCbB*cbv+fixHalf)>>fixShift)
	return r, g, b
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycbcrToRGB8 converts a decoded JPEG image, upsampling chroma first.
func ycbcrToRGB8(m *image.YCbCr) *RGB8 {
	b := m.Bounds()
	out := NewRGB8(b.Dx(), b.Dy())
	if b.Empty() {
		return out
	}
	up := newUpsampler(m)
	cbRow := make([]uint8, b.Dx())
	crRow := make([]uint8, b.Dx())
	o := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		up.row(cbRow, m.Cb, y)
		up.row(crRow, m.Cr, y)
		yRow := m.Y[m.YOffset(b.Min.X, y):][:b.Dx()]
		for i, yv := range yRow {
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = yccToRGB(yv, cbRow[i], crRow[i])
			o += 3
		}
	}
	return out
}

// upsampler produces full-resolution chroma rows from one subsampled plane.
// Coordinates: output pixel x (absolute) lies in chroma column x/hf; the
// image's chroma columns are cx0..cx0+cw-1, rows cy0..cy0+ch-1.
type upsampler struct {
	m              *image.YCbCr
	hf, vf         int // subsampling factors
	fancyH, fancyV bool
	x0, x1         int // output columns [x0, x1)
	cx0, cw        int
	cy0, ch        int
	sum            []int32 // vertically filtered chroma row, scratch
}

func newUpsampler(m *image.YCbCr) *upsampler {
	hf, vf := subsampling(m.SubsampleRatio)
	b := m.Bounds()
	u := &upsampler{m: m, hf: hf, vf: vf, x0: b.Min.X, x1: b.Max.X}
	u.cx0, u.cw = b.Min.X/hf, (b.Max.X-1)/hf-b.Min.X/hf+1
	u.cy0, u.ch = b.Min.Y/vf, (b.Max.Y-1)/vf-b.Min.Y/vf+1
	// libjpeg-turbo only filters 2x factors, and skips the horizontal filter
	// when there are at most two chroma columns; 4x factors (4:1:1, 4:1:0)
	// are upsampled by replication.
	u.fancyH = hf == 2 && u.cw > 2
	u.fancyV = vf == 2 && (hf == 1 || u.fancyH)
	u.sum = make([]int32, u.cw)
	return u
}

func subsampling(r image.YCbCrSubsampleRatio) (hf, vf int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// chromaRow returns chroma row cy (clamped into the image) of plane p.
func (u *upsampler) chromaRow(p []uint8, cy int) []uint8 {
	cy = min(max(cy, u.cy0), u.cy0+u.ch-1)
	off := u.m.COffset(u.cx0*u.hf, cy*u.vf)
	return p[off : off+u.cw]
}

// row fills dst with the upsampled chroma of plane p for output row y.
func (u *upsampler) row(dst []uint8, p []uint8, y int) {
	cy := y / u.vf
	near := u.chromaRow(p, cy)

	// Vertical step: sum = 3*near + far (weight 4), or just near (weight 1).
	vBias := int32(0)
	if u.fancyV {
		// Even output rows lie nearer the chroma row above.
		far := u.chromaRow(p, cy+1)
		vBias = 2
		if y%2 == 0 {
			far = u.chromaRow(p, cy-1)
			vBias = 1
		}
		for i := range u.sum {
			u.sum[i] = 3*int32(near[i]) + int32(far[i])
		}
	} else {
		for i := range u.sum {
			u.sum[i] = int32(near[i])
		}
	}

	switch {
	case u.fancyH && u.fancyV:
		u.horizontal(dst, 8, 7, 4)
	case u.fancyH:
		u.horizontal(dst, 1, 2, 2)
	default:
		u.replicate(dst, vBias)
	}
}

// horizontal applies the 3/4, 1/4 filter along the row to u.sum, adding
// evenBias or oddBias before shifting right by shift.
func (u *upsampler) horizontal(dst []uint8, evenBias, oddBias int32, shift uint) {
	last := u.cw - 1
	for x := u.x0; x < u.x1; x++ {
		i := x/u.hf - u.cx0
		j, bias := i+1, oddBias
		if x%2 == 0 {
			j, bias = i-1, evenBias
		}
		j = min(max(j, 0), last)
		dst[x-u.x0] = uint8((3*u.sum[i] + u.sum[j] + bias) >> shift)
	}
}

// replicate copies each chroma column to the hf output columns it covers,
// finishing the vertical filter if one was applied (vBias != 0).
func (u *upsampler) replicate(dst []uint8, vBias int32) {
	shift := uint(0)
	if vBias != 0 {
		shift = 2
	}
	for x := u.x0; x < u.x1; x++ {
		dst[x-u.x0] = uint8((u.sum[x/u.hf-u.cx0] + vBias) >> shift)
	}
}
