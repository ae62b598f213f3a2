package nn

// ConvGeometry describes a 2-D convolution's window, as PyTorch's Conv2d
// arguments do.
type ConvGeometry struct {
	KH, KW           int // kernel size
	StrideH, StrideW int
	PadH, PadW       int // zero padding on each side
	DilH, DilW       int // dilation; 1 is a dense kernel
	Groups           int // 1 is a full convolution; Cin is depthwise
}

// OutSize is the output height and width for an h x w input
// (PyTorch's floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1).
// A window larger than the padded input gives 0 (PyTorch rejects it).
func (g ConvGeometry) OutSize(h, w int) (int, int) {
	return windowCount(h+2*g.PadH-g.DilH*(g.KH-1)-1, g.StrideH), windowCount(w+2*g.PadW-g.DilW*(g.KW-1)-1, g.StrideW)
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
