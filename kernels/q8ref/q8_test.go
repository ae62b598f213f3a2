package q8ref

import (
	"math"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Each int8 op is compared with its float counterpart run on the
// dequantized inputs: the int8 result must be within one step of the
// float result quantized to the output's parameters.

var rng = rand.New(rand.NewPCG(1, 2))

// randomTensor returns an int8 tensor with random values and its float
// (dequantized) twin.
func randomTensor(s tensor.Shape, p quant.Params) (*tensor.Int8, *tensor.Tensor) {
	q, f := tensor.NewInt8(s), tensor.New(s)
	for i := range q.Data {
		q.Data[i] = int8(rng.IntN(256) - 128)
		f.Data[i] = p.Dequantize(q.Data[i])
	}
	return q, f
}

// within1 checks |got - quantize(want)| <= 1 everywhere.
func within1(t *testing.T, what string, got []int8, want []float32, p quant.Params) {
	t.Helper()
	worst := 0
	for i, w := range want {
		d := int(got[i]) - int(p.Quantize(w))
		worst = max(worst, d, -d)
	}
	if worst > 1 {
		t.Errorf("%s: int8 result is %d steps from the float result", what, worst)
	}
}

func full(p quant.Params) Output { return Output{Zero: p.Zero, Lo: quant.QMin, Hi: quant.QMax} }

func TestConvAgainstFloat(t *testing.T) {
	for _, c := range []struct {
		in        tensor.Shape
		out, k, s int
		pad       int
		groups    int
		act       nn.Activation
	}{
		{tensor.Shape{N: 1, H: 9, W: 7, C: 5}, 6, 3, 2, 1, 1, nn.ActNone},
		{tensor.Shape{N: 1, H: 6, W: 6, C: 8}, 8, 3, 1, 1, 8, nn.ActReLU},  // depthwise
		{tensor.Shape{N: 1, H: 7, W: 7, C: 6}, 6, 5, 2, 2, 6, nn.ActReLU6}, // depthwise 5x5 stride 2
		{tensor.Shape{N: 2, H: 4, W: 5, C: 17}, 9, 1, 1, 0, 1, nn.ActNone}, // 1x1, odd channels
	} {
		inP := quant.ChooseParams(-1.5, 2.5)
		outP := quant.ChooseParams(-4, 6)
		xq, xf := randomTensor(c.in, inP)
		cinG := c.in.C / c.groups
		wf := make([]float32, c.out*cinG*c.k*c.k)
		for i := range wf {
			wf[i] = float32(rng.NormFloat64() * 0.3)
		}
		bf := make([]float32, c.out)
		for i := range bf {
			bf[i] = float32(rng.NormFloat64())
		}
		scales := quant.WeightScales(wf, c.out)
		per := len(wf) / c.out
		wq := make([]int8, len(wf))
		wdq := make([]float32, len(wf)) // dequantized weights: what int8 really computes with
		bq := make([]int32, c.out)
		bdq := make([]float32, c.out)
		mult := make([]float32, c.out)
		for o := range c.out {
			var sum int32
			for i := o * per; i < (o+1)*per; i++ {
				wq[i] = quant.QuantizeWeight(wf[i], scales[o])
				wdq[i] = float32(wq[i]) * scales[o]
				sum += int32(wq[i])
			}
			accScale := float64(inP.Scale) * float64(scales[o])
			b := int32(math.RoundToEven(float64(bf[o]) / accScale))
			bdq[o] = float32(float64(b) * accScale)
			bq[o] = b - inP.Zero*sum
			mult[o] = float32(accScale / float64(outP.Scale))
		}
		geo := nn.ConvGeometry{KH: c.k, KW: c.k, StrideH: c.s, StrideW: c.s, PadH: c.pad, PadW: c.pad, DilH: 1, DilW: 1, Groups: c.groups}
		oh, ow := geo.OutSize(c.in.H, c.in.W)
		os := tensor.Shape{N: c.in.N, H: oh, W: ow, C: c.out}
		yq, yf := tensor.NewInt8(os), tensor.New(os)
		out := full(outP)
		out.Multipliers = mult
		out.Lo, out.Hi = quant.Clamp(outP, c.act == nn.ActReLU, c.act == nn.ActReLU6)
		packed := make([]int8, len(wq))
		pf := fp32.PackConvWeights(wdq, c.out, cinG, c.k, c.k)
		for o := range c.out { // the same packing for int8
			for i := range cinG {
				for y := range c.k {
					for x := range c.k {
						packed[((y*c.k+x)*cinG+i)*c.out+o] = wq[((o*cinG+i)*c.k+y)*c.k+x]
					}
				}
			}
		}
		Conv2D(yq, xq, packed, bq, geo, inP.Zero, out, make([]int32, c.out))
		fp32.Conv2D(yf, xf, pf, bdq, geo, c.act)
		within1(t, "conv", yq.Data, yf.Data, outP)
	}
}

func TestLinearAgainstFloat(t *testing.T) {
	inP, outP := quant.ChooseParams(-1, 3), quant.ChooseParams(-10, 10)
	xq, xf := randomTensor(tensor.Shape{N: 2, H: 1, W: 1, C: 33}, inP)
	const outs = 7
	wq, wf := make([]int8, outs*33), make([]float32, outs*33)
	bq, bf := make([]int32, outs), make([]float32, outs)
	mult := make([]float32, outs)
	ws := float32(0.01)
	for o := range outs {
		var sum int32
		for i := range 33 {
			wq[o*33+i] = int8(rng.IntN(255) - 127)
			wf[o*33+i] = float32(wq[o*33+i]) * ws
			sum += int32(wq[o*33+i])
		}
		bq[o] = int32(rng.IntN(2001)-1000) - inP.Zero*sum
		bf[o] = float32(float64(bq[o]+inP.Zero*sum) * float64(inP.Scale*ws))
		mult[o] = float32(float64(inP.Scale*ws) / float64(outP.Scale))
	}
	yq, yf := tensor.NewInt8(tensor.Shape{N: 2, H: 1, W: 1, C: outs}), tensor.New(tensor.Shape{N: 2, H: 1, W: 1, C: outs})
	out := full(outP)
	out.Multipliers = mult
	Linear(yq, xq, wq, bq, out)
	fp32.Linear(yf, xf, wf, bf, nn.ActNone)
	within1(t, "linear", yq.Data, yf.Data, outP)
}

func TestAddMulPoolAgainstFloat(t *testing.T) {
	s := tensor.Shape{N: 1, H: 7, W: 6, C: 5}
	aP, bP, outP := quant.ChooseParams(-2, 3), quant.ChooseParams(-0.5, 4), quant.ChooseParams(-2.5, 6)
	aq, af := randomTensor(s, aP)
	bq, bf := randomTensor(s, bP)

	yq, yf := tensor.NewInt8(s), tensor.New(s)
	Add(yq.Data, aq.Data, bq.Data, aP.Zero, bP.Zero, aP.Scale/outP.Scale, bP.Scale/outP.Scale, full(outP))
	fp32.Add(yf, af, bf, nn.ActNone)
	within1(t, "add", yq.Data, yf.Data, outP)

	gateP := quant.Params{Scale: 1.0 / 256, Zero: -128}
	gq, gf := randomTensor(tensor.Shape{N: 1, H: 1, W: 1, C: 5}, gateP)
	out := full(aP)
	out.Multipliers = []float32{float32(float64(aP.Scale) * float64(gateP.Scale) / float64(aP.Scale))}
	MulChannels(yq, aq, gq, aP.Zero, gateP.Zero, out)
	fp32.MulChannels(yf, af, gf)
	within1(t, "mul", yq.Data, yf.Data, aP)

	for _, geo := range []nn.PoolGeometry{
		{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CountIncludePad: true},
		{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true},
		{KH: 2, KW: 2, StrideH: 1, StrideW: 1},
	} {
		oh, ow := geo.OutSize(s.H, s.W)
		os := tensor.Shape{N: 1, H: oh, W: ow, C: s.C}
		pq, pf := tensor.NewInt8(os), tensor.New(os)
		out := full(outP)
		out.Multipliers = []float32{aP.Scale / outP.Scale}
		AvgPool(pq, aq, geo, aP.Zero, out)
		fp32.AvgPool(pf, af, geo)
		within1(t, "avgpool", pq.Data, pf.Data, outP)

		MaxPool(pq, aq, geo)
		fp32.MaxPool(pf, af, geo)
		within1(t, "maxpool", pq.Data, pf.Data, aP)
	}
	gq2, gf2 := tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: 5}), tensor.New(tensor.Shape{N: 1, H: 1, W: 1, C: 5})
	out = full(outP)
	out.Multipliers = []float32{aP.Scale / outP.Scale}
	GlobalAvgPool(gq2, aq, aP.Zero, out)
	fp32.GlobalAvgPool(gf2, af)
	within1(t, "globalavgpool", gq2.Data, gf2.Data, outP)

	rq := make([]int8, len(aq.Data))
	out = full(outP)
	out.Multipliers = []float32{aP.Scale / outP.Scale}
	Requant(rq, aq.Data, aP.Zero, out)
	within1(t, "requant", rq, af.Data, outP)
}

func TestDataMovementIsExact(t *testing.T) {
	p := quant.ChooseParams(-1, 1)
	s := tensor.Shape{N: 1, H: 4, W: 5, C: 3}
	xq, xf := randomTensor(s, p)
	offsets := []nn.Offset{{DY: -1, DX: 0}, {DY: 0, DX: 0}, {DY: 1, DX: 1}}
	yq, yf := tensor.NewInt8(s), tensor.New(s)
	Shift(yq, xq, offsets, int8(p.Zero))
	fp32.Shift(yf, xf, offsets)
	for i := range yq.Data {
		if p.Dequantize(yq.Data[i]) != yf.Data[i] {
			t.Fatalf("shift differs at %d", i)
		}
	}
	fs := tensor.Shape{N: 1, H: 1, W: 1, C: 60}
	fq, ff := tensor.NewInt8(fs), tensor.New(fs)
	Flatten(fq, xq)
	fp32.Flatten(ff, xf)
	for i := range fq.Data {
		if p.Dequantize(fq.Data[i]) != ff.Data[i] {
			t.Fatalf("flatten differs at %d", i)
		}
	}
	table := [256]int8{}
	for i := range table {
		table[i] = int8(255 - i - 128) // negation-like map
	}
	lq := make([]int8, 4)
	LookupTable(lq, []int8{-128, -1, 0, 127}, &table)
	if lq[0] != 127 || lq[1] != 0 || lq[2] != -1 || lq[3] != -128 {
		t.Errorf("lookup gave %v", lq)
	}
}
