package igemm

import (
	"errors"
	"fmt"
	"math"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// CheckOutput rejects multipliers, bounds and zero points the kernels
// cannot run.
func CheckOutput(o q8ref.Output, channels int, inZero int32) error {
	if len(o.Multipliers) != 1 && len(o.Multipliers) != channels {
		return fmt.Errorf("%d multipliers for %d output channels", len(o.Multipliers), channels)
	}
	if o.Lo > o.Hi || o.Lo < quant.QMin || o.Hi > quant.QMax {
		return fmt.Errorf("output bounds [%d, %d] outside [%d, %d] or empty", o.Lo, o.Hi, quant.QMin, quant.QMax)
	}
	if inZero < quant.QMin || inZero > quant.QMax || o.Zero < quant.QMin || o.Zero > quant.QMax {
		return errors.New("zero points must be int8 values")
	}
	return nil
}

// CheckSize rejects inputs whose byte offsets would not fit the int32
// indirection buffer.
func CheckSize(in tensor.Shape) error {
	if in.N < 0 || in.H < 0 || in.W < 0 || in.C < 1 || int64(in.N)*int64(in.H)*int64(in.W)*int64(in.C) > math.MaxInt32 {
		return fmt.Errorf("input shape %v: empty channels or more than 2^31 values", in)
	}
	return nil
}

// CheckTensors panics on tensors of another shape than the layer was built
// for: the kernels trust the indirection buffer, so a wrong shape must
// never reach them. pkg and op name the layer in the message.
func CheckTensors(pkg, op string, dst, src *tensor.Int8, out, in tensor.Shape) {
	if dst.Shape != out || src.Shape != in || len(dst.Data) != out.Elems() || len(src.Data) != in.Elems() {
		panic(fmt.Sprintf("%s.%s: tensors %v -> %v (%d, %d values), built for %v -> %v", pkg, op, src.Shape, dst.Shape, len(src.Data), len(dst.Data), in, out))
	}
}
