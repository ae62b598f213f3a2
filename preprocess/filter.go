package preprocess

import (
	"fmt"
	"math"
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

// known reports whether f is one of the filters above.
func (f Filter) known() bool { return f == Bilinear || f == Bicubic || f == Nearest }

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
	panic(fmt.Sprintf("preprocess: no convolution kernel for filter %v", f))
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
