package preprocess

import (
	"fmt"
	"image"
)

// Spec describes a torchvision classification transform
//
//	Resize(Resize, Filter) -> CenterCrop(CropH, CropW) -> ToTensor -> Normalize(Mean, Std)
//
// applied to an image converted to RGB. The zero Filter is Bilinear,
// torchvision's default interpolation.
//
// Resize is the length the shorter side is scaled to; the longer side
// becomes int(Resize * long / short), as torchvision computes it. Resize == 0
// means no aspect-preserving resize: an image that is already CropH x CropW
// is used as is, any other is resized (stretched) to exactly CropH x CropW
// with Filter, and the crop is then the whole image. This suits datasets such
// as CIFAR-10 whose inputs already have the network's size.
type Spec struct {
	Resize       int
	CropH, CropW int
	Filter       Filter
	Mean, Std    [3]float32
}

// ImageNet returns the usual ImageNet evaluation transform, e.g.
// ImageNet(256, 224, Bilinear).
func ImageNet(resize, crop int, f Filter) Spec {
	return Spec{
		Resize: resize, CropH: crop, CropW: crop, Filter: f,
		Mean: [3]float32{0.485, 0.456, 0.406},
		Std:  [3]float32{0.229, 0.224, 0.225},
	}
}

// CIFAR10 returns the common CIFAR-10 normalisation for 32x32 inputs.
func CIFAR10() Spec {
	return Spec{
		CropH: 32, CropW: 32, Filter: Bilinear,
		Mean: [3]float32{0.4914, 0.4822, 0.4465},
		Std:  [3]float32{0.2023, 0.1994, 0.2010},
	}
}

// Len is the number of float32 values Tensor writes: CropH*CropW*3.
func (s Spec) Len() int { return s.CropH * s.CropW * 3 }

// Validate checks that the spec can be applied: Resize not negative, a
// positive crop, a known filter and no zero std.
func (s Spec) Validate() error {
	if s.Resize < 0 || s.CropH <= 0 || s.CropW <= 0 {
		return fmt.Errorf("preprocess: spec with resize %d, crop %dx%d: want resize >= 0 and a positive crop", s.Resize, s.CropH, s.CropW)
	}
	if !s.Filter.known() {
		return fmt.Errorf("preprocess: spec with unknown filter %v: want bilinear, bicubic or nearest", s.Filter)
	}
	for _, v := range s.Std {
		if v == 0 {
			return fmt.Errorf("preprocess: spec with std %v: want no zero std", s.Std)
		}
	}
	return nil
}

// Load decodes the image file at path and returns its tensor.
func (s Spec) Load(path string) ([]float32, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	img, err := Decode(path)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, s.Len())
	if err := s.Tensor(img, dst); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return dst, nil
}

// Tensor writes the preprocessed image into dst as float32 NHWC with N=1:
// CropH rows of CropW pixels of R, G, B. len(dst) must be s.Len().
func (s Spec) Tensor(img image.Image, dst []float32) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(dst) != s.Len() {
		return fmt.Errorf("preprocess: tensor needs %d floats (%dx%dx3), got %d", s.Len(), s.CropH, s.CropW, len(dst))
	}
	rgb := toRGB8(img)
	if rgb.W <= 0 || rgb.H <= 0 {
		return fmt.Errorf("preprocess: empty %dx%d image", rgb.W, rgb.H)
	}
	w, h := s.ResizedSize(rgb.W, rgb.H)
	// A very elongated image resized by its shorter side would be huge
	// (1x65536 to 256 gives 256x16777216): the result may be as large as
	// an image Decode accepts, or the crop, no larger.
	if limit := max(maxPixels, s.CropH*s.CropW); w <= 0 || h <= 0 || w > limit/h {
		return fmt.Errorf("preprocess: a %dx%d image resizes to %dx%d, more than the %d pixels allowed", rgb.W, rgb.H, w, h, limit)
	}
	if w != rgb.W || h != rgb.H {
		rgb = Resize(rgb, w, h, s.Filter)
	}
	s.cropNormalize(rgb, dst)
	return nil
}

// ResizedSize is the size a w x h image has after the Resize step.
func (s Spec) ResizedSize(w, h int) (int, int) {
	if s.Resize == 0 {
		return s.CropW, s.CropH
	}
	// torchvision: the shorter side becomes Resize, the longer
	// int(Resize * long / short), computed in floating point (the product
	// too: Resize*long can overflow a 32-bit int). The long side is clamped
	// at 2^30, far beyond what Tensor accepts, so it fits any int.
	long, short := h, w
	if w > h {
		long, short = w, h
	}
	l := min(float64(s.Resize)*float64(long)/float64(short), 1<<30)
	if w <= h {
		return s.Resize, int(l)
	}
	return int(l), s.Resize
}

// cropNormalize center-crops img to CropH x CropW (zero-padding any side
// that is too short, as torchvision's CenterCrop does), and writes
// (v/255 - mean) / std for every channel value.
func (s Spec) cropNormalize(img *RGB8, dst []float32) {
	lut := s.NormTable()
	// Padding is a zero pixel, normalised like any other.
	pad := [3]float32{lut[0][0], lut[1][0], lut[2][0]}
	rows, cols := CenterCrop(img.H, s.CropH), CenterCrop(img.W, s.CropW)
	rowLen := 3 * s.CropW
	for y := range s.CropH {
		out := dst[y*rowLen:][:rowLen]
		if !rows.Inside(y) {
			padFloats(out, pad)
			continue
		}
		padFloats(out[:3*cols.Before], pad)
		in := img.Pix[((y+rows.Offset)*img.W+cols.Before+cols.Offset)*3:][:3*cols.Valid]
		for i := 0; i < len(in); i += 3 {
			o := out[3*cols.Before+i:][:3]
			o[0], o[1], o[2] = lut[0][in[i]], lut[1][in[i+1]], lut[2][in[i+2]]
		}
		padFloats(out[3*(cols.Before+cols.Valid):], pad)
	}
}

func padFloats(out []float32, pad [3]float32) {
	for i := 0; i+2 < len(out); i += 3 {
		out[i], out[i+1], out[i+2] = pad[0], pad[1], pad[2]
	}
}

// Crop is torchvision's CenterCrop along one axis: of the crop's outputs,
// the first Before and the last After are zero padding, and each of the
// Valid outputs i in between shows pixel i+Offset of the axis.
type Crop struct{ Offset, Before, Valid, After int }

// CenterCrop crops an axis of n pixels to c outputs.
func CenterCrop(n, c int) Crop {
	off := cropOffset(n, c)
	first := max(0, -off)            // first output inside the image
	end := max(min(c, n-off), first) // one past the last
	return Crop{Offset: off, Before: first, Valid: end - first, After: c - end}
}

// Inside reports whether output i shows a pixel (is not padding).
func (c Crop) Inside(i int) bool { return i >= c.Before && i < c.Before+c.Valid }

// cropOffset is the source index of the first cropped pixel along an axis
// of length n cropped to c; negative when the axis is padded.
//
// torchvision pads n up to c with (c-n)/2 zeros before and the rest after,
// and otherwise crops from int(round((n-c)/2.0)). Python's round() rounds
// halves to even, so an odd excess of 1 starts at 0, 3 at 2, 5 at 2, 7 at 4.
func cropOffset(n, c int) int {
	d := n - c
	if d < 0 {
		return -((-d) / 2)
	}
	start := d / 2
	if d%2 == 1 && start%2 == 1 {
		start++
	}
	return start
}

// NormTable holds (v/255 - mean[c]) / std[c] for every byte value v of
// every channel c, with each operation rounded to float32 as PyTorch
// computes it.
func (s Spec) NormTable() *[3][256]float32 {
	var t [3][256]float32
	for c := range 3 {
		for v := range 256 {
			x := float32(v) / 255
			x = float32(x - s.Mean[c])
			t[c][v] = float32(x / s.Std[c])
		}
	}
	return &t
}
