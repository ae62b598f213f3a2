package checkpoint

import (
	"encoding/binary"
	"math"
)

// DType is the element type a tensor had in the checkpoint. Tensor.Data is
// always float32; DType says what it was converted from.
type DType uint8

// Storage element types. The zero DType is invalid.
const (
	Float32 DType = iota + 1
	Float16
	BFloat16
	Float64
	Int64
	Int32
	Int16
	Int8
	Uint8
	Bool
)

var dtypeInfo = [...]struct {
	name    string // as PyTorch prints it, without "torch."
	storage string // pickled class name, torch.<storage>
	size    int
}{
	Float32:  {"float32", "FloatStorage", 4},
	Float16:  {"float16", "HalfStorage", 2},
	BFloat16: {"bfloat16", "BFloat16Storage", 2},
	Float64:  {"float64", "DoubleStorage", 8},
	Int64:    {"int64", "LongStorage", 8},
	Int32:    {"int32", "IntStorage", 4},
	Int16:    {"int16", "ShortStorage", 2},
	Int8:     {"int8", "CharStorage", 1},
	Uint8:    {"uint8", "ByteStorage", 1},
	Bool:     {"bool", "BoolStorage", 1},
}

func (d DType) valid() bool { return d > 0 && int(d) < len(dtypeInfo) }

// String returns PyTorch's name for the type, e.g. "float16".
func (d DType) String() string {
	if !d.valid() {
		return "invalid"
	}
	return dtypeInfo[d].name
}

// Size is the number of bytes one element occupies in the file.
func (d DType) Size() int {
	if !d.valid() {
		return 0
	}
	return dtypeInfo[d].size
}

// IsFloat reports whether d is a floating-point type, i.e. whether a tensor
// of this type holds weights rather than counters or masks.
func (d DType) IsFloat() bool {
	return d == Float32 || d == Float16 || d == BFloat16 || d == Float64
}

func dtypeOfStorage(class string) DType {
	for d := Float32; d.valid(); d++ {
		if dtypeInfo[d].storage == class {
			return d
		}
	}
	return 0
}

// decode converts little-endian elements of type d to float32. len(raw)
// must be a multiple of d.Size().
func (d DType) decode(raw []byte) []float32 {
	n := len(raw) / d.Size()
	out := make([]float32, n)
	le := binary.LittleEndian
	switch d {
	case Float32:
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case Float16:
		for i := range out {
			out[i] = halfToFloat32(le.Uint16(raw[2*i:]))
		}
	case BFloat16:
		// bfloat16 is the top half of a float32.
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
	case Float64:
		// Values beyond float32's range become ±Inf (IEEE rounding, as
		// PyTorch's .float() does).
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(raw[8*i:])))
		}
	case Int64:
		for i := range out {
			out[i] = float32(int64(le.Uint64(raw[8*i:])))
		}
	case Int32:
		for i := range out {
			out[i] = float32(int32(le.Uint32(raw[4*i:])))
		}
	case Int16:
		for i := range out {
			out[i] = float32(int16(le.Uint16(raw[2*i:])))
		}
	case Int8:
		for i := range out {
			out[i] = float32(int8(raw[i]))
		}
	case Uint8:
		for i := range out {
			out[i] = float32(raw[i])
		}
	case Bool:
		for i := range out {
			if raw[i] != 0 {
				out[i] = 1
			}
		}
	}
	return out
}

// halfToFloat32 converts IEEE 754 binary16 to float32. Every half value,
// subnormals included, is exactly representable as a float32, so this is
// a re-encoding of sign, exponent and mantissa, not a rounding.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN; keep the NaN payload
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	case man == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: man * 2^-24, a normal float32. Shift the mantissa
	// until its leading one reaches the implicit-bit position.
	e := uint32(127 - 15 + 1)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
}
