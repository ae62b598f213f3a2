package nn

// PoolGeometry describes a max or average pooling window, as PyTorch's
// MaxPool2d and AvgPool2d arguments do.
type PoolGeometry struct {
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	// CeilMode rounds the output size up, so a partial window at the
	// bottom/right edge still produces an output (SqueezeNet uses it).
	CeilMode bool
	// CountIncludePad makes an average divide by the window size clipped to
	// the padded input, rather than by the number of real input values.
	CountIncludePad bool
}

// OutSize is the output height and width for an h x w input, with PyTorch's
// rule that a window must start inside the input or its left padding.
func (p PoolGeometry) OutSize(h, w int) (int, int) {
	return poolOut(h, p.KH, p.StrideH, p.PadH, p.CeilMode), poolOut(w, p.KW, p.StrideW, p.PadW, p.CeilMode)
}

func poolOut(in, k, stride, pad int, ceil bool) int {
	span := in + 2*pad - k
	out := windowCount(span, stride)
	if ceil && out > 0 {
		out = (span+stride-1)/stride + 1
		if (out-1)*stride >= in+pad {
			out-- // the last window would start in the right padding
		}
	}
	return out
}

// PoolWindow is the input range [lo, hi) that output o's pooling window
// covers along one axis, clipped to the input, and the window's size
// clipped only to the padding (the divisor when padding counts).
func PoolWindow(o, k, stride, pad, in int) (lo, hi, padded int) {
	start := o*stride - pad
	end := min(start+k, in+pad)
	padded = end - start
	return max(start, 0), min(end, in), padded
}

// Window is one pooling window: the input rows [Y0, Y1) and columns
// [X0, X1) it covers, clipped to the input, and the divisor of an average
// over it (the pixels it covers, or with CountIncludePad its size clipped
// only to the padding).
type Window struct {
	Y0, Y1, X0, X1 int
	Count          int
}

// Windows calls f with every output position of an inH x inW image pooled
// by p into outH x outW, row by row, and the position's window.
func (p PoolGeometry) Windows(inH, inW, outH, outW int, f func(oy, ox int, w Window)) {
	for oy := range outH {
		y0, y1, ph := PoolWindow(oy, p.KH, p.StrideH, p.PadH, inH)
		for ox := range outW {
			x0, x1, pw := PoolWindow(ox, p.KW, p.StrideW, p.PadW, inW)
			w := Window{Y0: y0, Y1: y1, X0: x0, X1: x1, Count: (y1 - y0) * (x1 - x0)}
			if p.CountIncludePad {
				w.Count = ph * pw
			}
			f(oy, ox, w)
		}
	}
}
