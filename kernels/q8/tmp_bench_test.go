package q8_test

import (
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

func BenchmarkTmpShiftNetA(b *testing.B) {
	rng := rand.New(rand.NewPCG(6, 6))
	ks, _ := dispatch.Q8Kernels(dispatch.AVX2)
	for _, c := range []struct{ h, cin, cout, k, stride int }{{56, 256, 64, 5, 1}, {112, 128, 32, 5, 2}, {28, 384, 128, 5, 1}, {14, 512, 256, 3, 1}} {
		in := kerneltest.Shape(1, c.h, c.h, c.cin)
		g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: c.stride, StrideW: c.stride, DilH: 1, DilW: 1, Groups: 1}
		oh, ow := g.OutSize(c.h, c.h)
		out := kerneltest.Shape(1, oh, ow, c.cout)
		w := kerneltest.ConvRandomInt8s(rng, in.C*out.C, -127, 127)
		src := &tensor.Int8{Shape: in, Data: append(kerneltest.ConvRandomInt8s(rng, in.Elems(), -128, 127), make([]int8, in.C)...)[:in.Elems()]}
		o := kerneltest.ConvRandomOutput(rng, out.C, in.C)
		fill := kerneltest.ConvRandomInt8s(rng, in.C, -128, 127)
		dst := tensor.NewInt8(out)
		s, _ := q8.NewShiftConv(ks, nn.GroupedShift(in.C, c.k), fill, w, make([]int32, out.C), g, in, out, 0, o)
		cv, _ := q8.NewConv(ks, w, make([]int32, out.C), g, in, out, 0, o)
		macs := float64(out.Elems() * in.C)
		b.Run("shift/"+in.String(), func(b *testing.B) {
			for b.Loop() {
				s.Run(dst, src)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
		b.Run("plain/"+in.String(), func(b *testing.B) {
			for b.Loop() {
				cv.Run(dst, src)
			}
			b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
