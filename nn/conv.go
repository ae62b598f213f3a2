package nn

// ConvGeometry describes a 2-D convolution's window, as PyTorch's Conv2d
// arguments do, with TensorFlow's asymmetric padding as an extension.
type ConvGeometry struct {
	KH, KW           int // kernel size
	StrideH, StrideW int
	// PadH and PadW are the zero rows above and below and the zero columns
	// left and right: PyTorch's symmetric padding.
	PadH, PadW int
	// ExtraPadH and ExtraPadW are further zero rows below and columns on
	// the right, beyond PadH and PadW: TensorFlow's "SAME" padding puts
	// one more after than before when the window does not fit evenly
	// (SamePadding). 0 is PyTorch's symmetric padding.
	ExtraPadH, ExtraPadW int
	DilH, DilW           int // dilation; 1 is a dense kernel
	Groups               int // 1 is a full convolution; Cin is depthwise
}

// OutSize is the output height and width for an h x w input
// (PyTorch's floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1, with the
// extra padding added to the padded size).
// A window larger than the padded input gives 0 (PyTorch rejects it).
func (g ConvGeometry) OutSize(h, w int) (int, int) {
	return windowCount(h+2*g.PadH+g.ExtraPadH-g.DilH*(g.KH-1)-1, g.StrideH),
		windowCount(w+2*g.PadW+g.ExtraPadW-g.DilW*(g.KW-1)-1, g.StrideW)
}

// SamePadding is TensorFlow's "SAME" padding along one axis of n inputs for
// a window of k taps at the given stride and dilation: the output has
// ceil(n/stride) positions, and the zeros that needs are split with the
// odd one after, as before zeros and extra zeros after (after = before +
// extra). At stride 1 with an odd window it is PyTorch's symmetric
// (k-1)/2; at stride 2 on an even size a 3x3 window pads 0 before and 1
// after, a 5x5 one 1 and 2.
func SamePadding(n, k, stride, dil int) (before, extra int) {
	out := (n + stride - 1) / stride
	total := max(0, (out-1)*stride+dil*(k-1)+1-n)
	return total / 2, total % 2
}

// WithSamePadding is g with TensorFlow's "SAME" padding for an h x w input
// in place of its own.
func (g ConvGeometry) WithSamePadding(h, w int) ConvGeometry {
	g.PadH, g.ExtraPadH = SamePadding(h, g.KH, g.StrideH, g.DilH)
	g.PadW, g.ExtraPadW = SamePadding(w, g.KW, g.StrideW, g.DilW)
	return g
}

// windowCount is floor(span/stride) + 1 window positions, or 0 when the
// window does not fit (span < 0); Go's division truncates towards zero, so
// the negative case must be caught before dividing.
func windowCount(span, stride int) int {
	if span < 0 || stride < 1 {
		return 0
	}
	return span/stride + 1
}
