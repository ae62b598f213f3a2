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

func (s Spec) validate() error {
	if s.Resize < 0 || s.CropH <= 0 || s.CropW <= 0 {
		return fmt.Errorf("preprocess: bad spec: resize %d, crop %dx%d", s.Resize, s.CropH, s.CropW)
	}
	for _, v := range s.Std {
		if v == 0 {
			return fmt.Errorf("preprocess: bad spec: zero std %v", s.Std)
		}
	}
	return nil
}

// Load decodes the image file at path and returns its tensor.
func (s Spec) Load(path string) ([]float32, error) {
	if err := s.validate(); err != nil {
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
	if err := s.validate(); err != nil {
		return err
	}
	if len(dst) != s.Len() {
		return fmt.Errorf("preprocess: tensor needs %d floats (%dx%dx3), got %d", s.Len(), s.CropH, s.CropW, len(dst))
	}
	rgb := toRGB8(img)
	if rgb.W <= 0 || rgb.H <= 0 {
		return fmt.Errorf("preprocess: empty %dx%d image", rgb.W, rgb.H)
	}
	w, h := s.resizedSize(rgb.W, rgb.H)
	if w != rgb.W || h != rgb.H {
		rgb = Resize(rgb, w, h, s.Filter)
	}
	s.cropNormalize(rgb, dst)
	return nil
}

// resizedSize is the size the image has after the Resize step.
func (s Spec) resizedSize(w, h int) (int, int) {
	if s.Resize == 0 {
		return s.CropW, s.CropH
	}
	// torchvision: the shorter side becomes Resize, the longer
	// int(Resize * long / short), computed in floating point.
	if w <= h {
		return s.Resize, int(float64(s.Resize*h) / float64(w))
	}
	return int(float64(s.Resize*w) / float64(h)), s.Resize
}

// cropNormalize center-crops img to CropH x CropW (zero-padding any side
// that is too short, as torchvision's CenterCrop does), and writes
// (v/255 - mean) / std for every channel value.
func (s Spec) cropNormalize(img *RGB8, dst []float32) {
	lut := s.normTable()
	top := cropOffset(img.H, s.CropH)
	left := cropOffset(img.W, s.CropW)
	o := 0
	for y := range s.CropH {
		sy := y + top
		for x := range s.CropW {
			sx := x + left
			if sy < 0 || sy >= img.H || sx < 0 || sx >= img.W {
				// Padding: a zero pixel, normalised like any other.
				dst[o], dst[o+1], dst[o+2] = lut[0][0], lut[1][0], lut[2][0]
			} else {
				p := img.Pix[(sy*img.W+sx)*3:]
				dst[o], dst[o+1], dst[o+2] = lut[0][p[0]], lut[1][p[1]], lut[2][p[2]]
			}
			o += 3
		}
	}
}

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
	half := d / 2
	if d%2 == 1 && half%2 == 1 {
		half++
	}
	return half
}

// normTable holds (v/255 - mean[c]) / std[c] for every byte value v, with
// each operation rounded to float32 as PyTorch computes it.
func (s Spec) normTable() *[3][256]float32 {
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
