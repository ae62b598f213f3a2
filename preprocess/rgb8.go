package preprocess

import (
	"image"
	"image/color"
)

// RGB8 is a packed 8-bit RGB image: row-major, 3 bytes per pixel in R, G, B
// order (HWC), no padding between rows. It is the layout every step of the
// pipeline works on and the one PIL exposes for an "RGB" image, which makes
// byte-for-byte comparison with reference outputs straightforward.
//
// *RGB8 implements image.Image, so it can be passed back to anything that
// takes one (including Spec.Tensor and ToRGB8).
type RGB8 struct {
	W, H int
	Pix  []uint8 // len W*H*3
}

// NewRGB8 returns a zeroed (black) w x h image.
func NewRGB8(w, h int) *RGB8 {
	return &RGB8{W: w, H: h, Pix: make([]uint8, w*h*3)}
}

// ColorModel implements image.Image.
func (m *RGB8) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (m *RGB8) Bounds() image.Rectangle { return image.Rect(0, 0, m.W, m.H) }

// At implements image.Image.
func (m *RGB8) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return color.RGBA{}
	}
	i := (y*m.W + x) * 3
	return color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 0xff}
}

// ToRGB8 converts any image to a new packed RGB8 image, dropping alpha the
// way PIL's convert("RGB") does (colour channels are kept un-premultiplied,
// not composited onto a background). JPEG YCbCr images are converted the way
// libjpeg-turbo does it (see ycbcr.go), CMYK the way Pillow does.
//
// The result never shares memory with img.
func ToRGB8(img image.Image) *RGB8 {
	if m, ok := img.(*RGB8); ok {
		return &RGB8{W: m.W, H: m.H, Pix: append([]uint8(nil), m.Pix...)}
	}
	return toRGB8(img)
}

// toRGB8 is ToRGB8 except that an *RGB8 is returned as is, without a copy.
func toRGB8(img image.Image) *RGB8 {
	switch m := img.(type) {
	case *RGB8:
		return m
	case *image.YCbCr:
		return ycbcrToRGB8(m)
	case *image.Gray:
		return grayToRGB8(m)
	case *image.CMYK:
		return cmykToRGB8(m)
	case *image.NRGBA:
		return nrgbaToRGB8(m)
	case *image.RGBA:
		if m.Opaque() { // premultiplied equals straight colour
			return nrgbaToRGB8((*image.NRGBA)(m))
		}
	}
	return genericToRGB8(img)
}

func grayToRGB8(m *image.Gray) *RGB8 {
	return convertRows(m.Bounds(), m.Pix, m.PixOffset, 1, func(out, in []uint8) {
		for i, v := range in {
			out[3*i], out[3*i+1], out[3*i+2] = v, v, v
		}
	})
}

func nrgbaToRGB8(m *image.NRGBA) *RGB8 {
	return convertRows(m.Bounds(), m.Pix, m.PixOffset, 4, func(out, in []uint8) {
		for i := 0; i < len(in); i += 4 {
			copy(out[:3], in[i:i+3])
			out = out[3:]
		}
	})
}

// cmykToRGB8 follows Pillow's CMYK->RGB rule, channel = (255-C)*(255-K)/255
// rounded, which differs from Go's color.CMYKToRGB by at most one level.
func cmykToRGB8(m *image.CMYK) *RGB8 {
	return convertRows(m.Bounds(), m.Pix, m.PixOffset, 4, func(out, in []uint8) {
		for i := 0; i < len(in); i += 4 {
			nk := 255 - int(in[i+3])
			for c := range 3 {
				out[c] = uint8(nk - div255(int(in[i+c])*nk))
			}
			out = out[3:]
		}
	})
}

// convertRows makes the RGB8 image of the pixels of b in pix, whose
// pixels take size bytes and start at offset(x, y); conv converts one row.
func convertRows(b image.Rectangle, pix []uint8, offset func(x, y int) int, size int, conv func(out, in []uint8)) *RGB8 {
	out := NewRGB8(b.Dx(), b.Dy())
	rowLen := 3 * b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		conv(out.Pix[(y-b.Min.Y)*rowLen:][:rowLen], pix[offset(b.Min.X, y):][:size*b.Dx()])
	}
	return out
}

// div255 returns round(v/255) for 0 <= v <= 255*255 without a division.
func div255(v int) int {
	v += 128
	return (v + v>>8) >> 8
}

// genericToRGB8 handles every other image type (paletted, 16-bit,
// translucent RGBA, ...) through the standard colour models: 16-bit
// channels keep their high byte, premultiplied colours are un-premultiplied.
// (PIL differs for 16-bit grayscale, which it clips to 255 instead of
// scaling; such inputs are not used for classification.)
func genericToRGB8(img image.Image) *RGB8 {
	b := img.Bounds()
	out := NewRGB8(b.Dx(), b.Dy())
	o := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8)
			o += 3
		}
	}
	return out
}
