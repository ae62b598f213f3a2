package q8ref

import (
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Output is how an op writes its int8 results: per output channel
// multipliers (or one shared), the output zero point and the clamp bounds
// (a fused ReLU or ReLU6 narrows them).
type Output struct {
	Multipliers []float32 // one per output channel, or a single shared value
	Zero        int32
	Lo, Hi      int32
}

// Multiplier returns channel c's multiplier: its own, or the shared one.
func (o *Output) Multiplier(c int) float32 {
	if len(o.Multipliers) == 1 {
		return o.Multipliers[0]
	}
	return o.Multipliers[c]
}

// Conv2D computes an int8 convolution:
//
//	acc[o] = bias[o] + sum over taps and input channels of x * w
//	dst[o] = Requantize(acc[o], multiplier[o], zero, lo, hi)
//
// with x = inZero for taps in the padding. acc is scratch space of at least
// dst.C values.
func Conv2D(dst, src *tensor.Int8, w []int8, bias []int32, g nn.ConvGeometry, inZero int32, out Output, acc []int32) {
	in, os := src.Shape, dst.Shape
	cinG, coutG := in.C/g.Groups, os.C/g.Groups
	tap := cinG * os.C
	acc = acc[:os.C]
	for n := 0; n < os.N; n++ {
		for oy := 0; oy < os.H; oy++ {
			for ox := 0; ox < os.W; ox++ {
				copy(acc, bias)
				for ky := 0; ky < g.KH; ky++ {
					iy := oy*g.StrideH - g.PadH + ky*g.DilH
					for kx := 0; kx < g.KW; kx++ {
						ix := ox*g.StrideW - g.PadW + kx*g.DilW
						inside := iy >= 0 && iy < in.H && ix >= 0 && ix < in.W
						var pixel []int8
						if inside {
							pixel = src.Pixel(n, iy, ix)
						}
						wt := w[(ky*g.KW+kx)*tap:][:tap]
						if cinG == 1 && coutG == 1 { // depthwise: channel c meets weight c
							for c := range acc {
								x := inZero
								if inside {
									x = int32(pixel[c])
								}
								acc[c] += x * int32(wt[c])
							}
							continue
						}
						for grp := 0; grp < g.Groups; grp++ {
							for i := 0; i < cinG; i++ {
								x := inZero
								if inside {
									x = int32(pixel[grp*cinG+i])
								}
								row := wt[i*os.C+grp*coutG:][:coutG]
								a := acc[grp*coutG:][:coutG]
								for k, wv := range row {
									a[k] += x * int32(wv)
								}
							}
						}
					}
				}
				res := dst.Pixel(n, oy, ox)
				for o := range res {
					res[o] = quant.Requantize(acc[o], out.Multiplier(o), out.Zero, out.Lo, out.Hi)
				}
			}
		}
	}
}

// Linear computes an int8 fully connected layer on [N,1,1,In] tensors,
// with w in [Out][In] layout and the zero-point correction folded into
// bias as for Conv2D.
func Linear(dst, src *tensor.Int8, w []int8, bias []int32, out Output) {
	in, outs := src.Shape.C, dst.Shape.C
	for n := 0; n < src.Shape.N; n++ {
		x := src.Data[n*in : (n+1)*in]
		y := dst.Data[n*outs : (n+1)*outs]
		for o := range y {
			acc := bias[o]
			for i, wv := range w[o*in : (o+1)*in] {
				acc += int32(x[i]) * int32(wv)
			}
			y[o] = quant.Requantize(acc, out.Multiplier(o), out.Zero, out.Lo, out.Hi)
		}
	}
}
