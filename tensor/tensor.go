package tensor

import "fmt"

// Shape is the size of a 4-D NHWC tensor.
type Shape struct{ N, H, W, C int }

// Elems is the number of values a tensor of this shape holds.
func (s Shape) Elems() int { return s.N * s.H * s.W * s.C }

// Valid reports whether every dimension is positive.
func (s Shape) Valid() bool { return s.N > 0 && s.H > 0 && s.W > 0 && s.C > 0 }

func (s Shape) String() string { return fmt.Sprintf("[%d %d %d %d]", s.N, s.H, s.W, s.C) }

// Tensor is a float32 NHWC tensor. Data has exactly Shape.Elems() values;
// element (n, y, x, c) is at ((n*H+y)*W+x)*C+c.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New returns a zeroed tensor of shape s.
func New(s Shape) *Tensor { return &Tensor{Shape: s, Data: make([]float32, s.Elems())} }

// Index is the offset of element (n, y, x, c) in Data.
func (t *Tensor) Index(n, y, x, c int) int {
	s := t.Shape
	return ((n*s.H+y)*s.W+x)*s.C + c
}

// At returns element (n, y, x, c).
func (t *Tensor) At(n, y, x, c int) float32 { return t.Data[t.Index(n, y, x, c)] }

// Pixel returns the C channel values of pixel (n, y, x) as a slice of Data.
func (t *Tensor) Pixel(n, y, x int) []float32 {
	i := t.Index(n, y, x, 0)
	return t.Data[i : i+t.Shape.C]
}

// Int8 is a quantized NHWC tensor; what its values mean (scale and zero
// point) is kept by the model that owns it.
type Int8 struct {
	Shape Shape
	Data  []int8
}

// NewInt8 returns a zeroed int8 tensor of shape s.
func NewInt8(s Shape) *Int8 { return &Int8{Shape: s, Data: make([]int8, s.Elems())} }

// Pixel returns the C channel values of pixel (n, y, x).
func (t *Int8) Pixel(n, y, x int) []int8 {
	s := t.Shape
	i := ((n*s.H+y)*s.W + x) * s.C
	return t.Data[i : i+s.C]
}
