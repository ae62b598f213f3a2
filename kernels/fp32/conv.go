package fp32

import (
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// PackConvWeights re-lays PyTorch convolution weights from OIHW
// ([Cout][Cin/groups][KH][KW]) into the [KH][KW][Cin/groups][Cout] order
// that Conv2D reads.
func PackConvWeights(oihw []float32, cout, cinPerGroup, kh, kw int) []float32 {
	packed := make([]float32, len(oihw))
	for o := 0; o < cout; o++ {
		for i := 0; i < cinPerGroup; i++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					src := ((o*cinPerGroup+i)*kh+y)*kw + x
					dst := ((y*kw+x)*cinPerGroup+i)*cout + o
					packed[dst] = oihw[src]
				}
			}
		}
	}
	return packed
}

// Conv2D computes dst = act(conv2d(src, w) + bias) for NHWC tensors.
// w is packed by PackConvWeights; bias has dst.C values or is nil.
//
// Each output pixel starts from its bias, then every kernel tap that lands
// inside the input adds input[channel] * weights[tap][channel][:] to the
// output channels of that channel's group. Taps that fall in the zero
// padding contribute nothing and are skipped.
func Conv2D(dst, src *tensor.Tensor, w, bias []float32, g nn.ConvGeometry, act nn.Activation) {
	in, out := src.Shape, dst.Shape
	cinG, coutG := in.C/g.Groups, out.C/g.Groups
	depthwise := cinG == 1 && coutG == 1
	tap := cinG * out.C // weights per kernel tap
	for n := 0; n < out.N; n++ {
		for oy := 0; oy < out.H; oy++ {
			for ox := 0; ox < out.W; ox++ {
				acc := dst.Pixel(n, oy, ox)
				if bias != nil {
					copy(acc, bias)
				} else {
					clear(acc)
				}
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.StrideH - g.PadH + ky*g.DilH
					if iy < 0 || iy >= in.H {
						continue
					}
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.StrideW - g.PadW + kx*g.DilW
						if ix < 0 || ix >= in.W {
							continue
						}
						pixel := src.Pixel(n, iy, ix)
						wt := w[(ky*g.KW+kx)*tap:][:tap]
						if depthwise {
							multiplyAdd(acc, pixel, wt)
							continue
						}
						for grp := 0; grp < g.Groups; grp++ {
							groupAcc := acc[grp*coutG : (grp+1)*coutG]
							for i := 0; i < cinG; i++ {
								v := pixel[grp*cinG+i]
								row := wt[i*out.C+grp*coutG:][:coutG]
								scaleAdd(groupAcc, v, row)
							}
						}
					}
				}
				applyAll(act, acc)
			}
		}
	}
}

// scaleAdd computes acc[k] += v * row[k].
func scaleAdd(acc []float32, v float32, row []float32) {
	if v == 0 {
		return // post-ReLU activations are often zero
	}
	row = row[:len(acc)]
	for k := range acc {
		acc[k] += v * row[k]
	}
}

// multiplyAdd computes acc[k] += a[k] * b[k].
func multiplyAdd(acc, a, b []float32) {
	a, b = a[:len(acc)], b[:len(acc)]
	for k := range acc {
		acc[k] += a[k] * b[k]
	}
}
