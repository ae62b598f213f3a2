package main

import (
	"math"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/quant/ptq"
	"neonet.dev/neonet/tensor"
)

// sim runs the float layers with quantize-dequantize of chosen tensors
// and int8 weights, a stand-in for the int8 model that can leave any
// tensor or weight in float.
type sim struct {
	layers   []*engine.Layer
	values   map[graph.Value]*tensor.Tensor
	params   map[graph.Value]quant.Params // quantized tensors
	w        map[*engine.Layer][]float32  // packed weights in use
	bias     map[*engine.Layer][]float32
	input    graph.Value
	output   graph.Value
	quantIn  bool
	chParams map[graph.Value][]quant.Params
}

// newSim builds a simulator; quantTensor and quantWeights decide, by layer
// name, what is quantized as in qm.
func newSim(g *graph.Graph, qm *qnet.Model, quantTensor, quantWeights func(name, kind string) bool) *sim {
	s := &sim{layers: engine.Lower(g, ptq.LowerOptions), values: map[graph.Value]*tensor.Tensor{}, params: map[graph.Value]quant.Params{},
		w: map[*engine.Layer][]float32{}, bias: map[*engine.Layer][]float32{}, input: g.Input, output: g.Output,
		chParams: map[graph.Value][]quant.Params{}}
	byName := map[string]int{}
	for i, t := range qm.Tensors {
		byName[t.Name] = i
	}
	node := map[string]*qnet.Node{}
	for i := range qm.Nodes {
		node[qm.Nodes[i].Name] = &qm.Nodes[i]
	}
	s.values[g.Input] = tensor.New(g.Shapes[g.Input])
	s.quantIn = quantTensor("input", "input")
	if s.quantIn {
		s.params[g.Input] = qm.Tensors[qm.Input].Params
	}
	for _, l := range s.layers {
		s.values[l.Output] = tensor.New(g.Shapes[l.Output])
		name := l.Node.Name
		if quantTensor(name, l.Kind) {
			s.params[l.Output] = qm.Tensors[byName[name]].Params
		}
		if l.Weight == nil {
			continue
		}
		w, b := l.Weight, l.Bias
		n := node[name]
		var scales []float32
		var qb []int32
		var wq []int8
		switch op := n.Op.(type) {
		case *qnet.Conv:
			scales, qb = op.WeightScales, op.Bias
			wq = unpackConv(op.Weights, op.Out, len(l.Weight)/op.Out/(op.Geometry.KH*op.Geometry.KW), op.Geometry.KH, op.Geometry.KW)
		case *qnet.Linear:
			scales, qb, wq = op.WeightScales, op.Bias, op.Weights
		}
		inP := qm.Tensors[n.Inputs[0]].Params
		per := len(w) / len(scales)
		if quantWeights(name, l.Kind) {
			w = make([]float32, len(wq))
			b = make([]float32, len(qb))
			for o := range scales {
				var sum int64
				for i := o * per; i < (o+1)*per; i++ {
					w[i] = float32(wq[i]) * scales[o]
					sum += int64(wq[i])
				}
				b[o] = float32(float64(int64(qb[o])+int64(inP.Zero)*sum) * float64(inP.Scale) * float64(scales[o]))
			}
		}
		s.bias[l] = b
		if conv, ok := l.Node.Op.(*graph.Conv2D); ok {
			geo := conv.Geometry
			s.w[l] = fp32.PackConvWeights(w, conv.Out, len(w)/conv.Out/(geo.KH*geo.KW), geo.KH, geo.KW)
		} else {
			s.w[l] = w
		}
	}
	return s
}

// unpackConv undoes ptq's [KH][KW][Cin/g][Out] packing into OIHW.
func unpackConv(packed []int8, out, cinG, kh, kw int) []int8 {
	oihw := make([]int8, len(packed))
	for o := range out {
		for i := range cinG {
			for y := range kh {
				for x := range kw {
					oihw[((o*cinG+i)*kh+y)*kw+x] = packed[((y*kw+x)*cinG+i)*out+o]
				}
			}
		}
	}
	return oihw
}

func fakeQuant(d []float32, p quant.Params) {
	for i, x := range d {
		d[i] = p.Dequantize(p.Quantize(x))
	}
}

func (s *sim) run(in []float32) []float32 {
	copy(s.values[s.input].Data, in)
	if s.quantIn {
		fakeQuant(s.values[s.input].Data, s.params[s.input])
	}
	for _, l := range s.layers {
		ins := make([]*tensor.Tensor, len(l.Inputs))
		for i, v := range l.Inputs {
			ins[i] = s.values[v]
		}
		out := s.values[l.Output]
		switch op := l.Node.Op.(type) {
		case *graph.Conv2D:
			fp32.Conv2D(out, ins[0], s.w[l], s.bias[l], op.Geometry, l.Act)
		case *graph.Linear:
			fp32.Linear(out, ins[0], s.w[l], s.bias[l], l.Act)
		case *graph.Activation:
			fp32.Activate(out.Data, ins[0].Data, l.Act)
		case *graph.GlobalAvgPool:
			fp32.GlobalAvgPool(out, ins[0])
		case *graph.Add:
			fp32.Add(out, ins[0], ins[1], l.Act)
		case *graph.MulChannels:
			fp32.MulChannels(out, ins[0], ins[1])
		case *graph.Flatten:
			fp32.Flatten(out, ins[0])
		default:
			panic("sim: no kernel for " + l.Kind)
		}
		if ps, ok := s.chParams[l.Output]; ok {
			for i, x := range out.Data {
				p := ps[i%len(ps)]
				out.Data[i] = p.Dequantize(p.Quantize(x))
			}
		} else if p, ok := s.params[l.Output]; ok {
			if l.Act == nn.ActReLU || l.Act == nn.ActReLU6 {
				panic("sim: clamps not modelled")
			}
			fakeQuant(out.Data, p)
		}
	}
	return s.values[s.output].Data
}

var _ = math.Abs

// perChannel gives tensors per-channel parameters in the simulation.
func (s *sim) perChannel(v graph.Value, ps []quant.Params) { s.chParams[v] = ps }
