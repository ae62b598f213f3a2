package q8

import (
	"fmt"
	"math"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// The checks every layer makes when it is built: one set for every path.

// checkGeometry rejects kernels, strides and dilations below 1 and
// negative padding.
func checkGeometry(g nn.ConvGeometry) error {
	if g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 || g.PadH < 0 || g.PadW < 0 {
		return fmt.Errorf("invalid geometry %+v", g)
	}
	return nil
}

// checkOutput rejects multipliers, bounds and zero points the kernels
// cannot run: one multiplier or one per output channel, bounds an int8
// range, input and output zero points int8 values.
func checkOutput(o q8ref.Output, channels int, inZero int32) error {
	if len(o.Multipliers) != 1 && len(o.Multipliers) != channels {
		return fmt.Errorf("%d multipliers for %d output channels", len(o.Multipliers), channels)
	}
	if o.Lo > o.Hi || o.Lo < quant.QMin || o.Hi > quant.QMax {
		return fmt.Errorf("output bounds [%d, %d] outside [%d, %d] or empty", o.Lo, o.Hi, quant.QMin, quant.QMax)
	}
	if inZero < quant.QMin || inZero > quant.QMax || o.Zero < quant.QMin || o.Zero > quant.QMax {
		return fmt.Errorf("zero points %d (input) and %d (output) must be int8 values", inZero, o.Zero)
	}
	return nil
}

// checkSize rejects inputs whose byte offsets would not fit the int32
// offset tables.
func checkSize(in tensor.Shape) error {
	if in.N < 0 || in.H < 0 || in.W < 0 || in.C < 1 || int64(in.N)*int64(in.H)*int64(in.W)*int64(in.C) > math.MaxInt32 {
		return fmt.Errorf("input shape %v: empty channels or more than 2^31 values", in)
	}
	return nil
}

// checkTensors panics on tensors of another shape than the layer was built
// for: the kernels trust the offset tables, so a wrong shape must never
// reach them. op names the layer in the message.
func checkTensors(op string, dst, src *tensor.Int8, out, in tensor.Shape) {
	if dst.Shape != out || src.Shape != in || len(dst.Data) != out.Elems() || len(src.Data) != in.Elems() {
		panic(fmt.Sprintf("q8.%s: tensors %v -> %v (%d, %d values), built for %v -> %v", op, src.Shape, dst.Shape, len(src.Data), len(dst.Data), in, out))
	}
}

// checkRange panics on a range of rows or pixels outside [0, n).
func checkRange(op string, start, end, n int) {
	if start < 0 || end > n || start > end {
		panic(fmt.Sprintf("q8.%s: range [%d, %d) outside [0, %d)", op, start, end, n))
	}
}
