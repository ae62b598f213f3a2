package ptq

import (
	"fmt"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// simulator runs the float layers as the int8 model computes them: every
// tensor in params is rounded to its int8 grid (quantized and dequantized)
// after the layer that writes it, and convolutions and linear layers use
// their int8 weights. What it computes differs from the int8 model only by
// float32 rounding, so it shows, for any layer, the input the int8 model
// gives it, as a float tensor beside the float model's.
type simulator struct {
	g      *graph.Graph
	layers []*engine.Layer
	values map[graph.Value]*tensor.Tensor
	params map[graph.Value]quant.Params
	w      map[*engine.Layer][]float32 // in the float kernels' layout
	bias   map[*engine.Layer][]float32
}

// newSimulator prepares a simulation of g's lowered layers with the given
// tensor parameters and weights (nil params: the float model).
func newSimulator(g *graph.Graph, layers []*engine.Layer, params map[graph.Value]quant.Params, weights map[*engine.Layer]*qweights) *simulator {
	s := &simulator{g: g, layers: layers, values: map[graph.Value]*tensor.Tensor{}, params: params,
		w: map[*engine.Layer][]float32{}, bias: map[*engine.Layer][]float32{}}
	s.values[g.Input] = tensor.New(g.Shapes[g.Input])
	for _, l := range layers {
		s.values[l.Output] = tensor.New(g.Shapes[l.Output])
		s.setWeights(l, weights[l])
	}
	return s
}

// setWeights makes layer l use q's weights (nil: the float weights).
func (s *simulator) setWeights(l *engine.Layer, q *qweights) {
	w, b := l.Weight, l.Bias
	if l.Weight == nil {
		return
	}
	if q != nil {
		w, b = q.dequantized(), q.bias
	}
	s.bias[l] = b
	if conv, ok := l.Node.Op.(*graph.Conv2D); ok {
		geo := conv.Geometry
		w = fp32.PackConvWeights(w, conv.Out, len(w)/conv.Out/(geo.KH*geo.KW), geo.KH, geo.KW)
	}
	s.w[l] = w
}

// run simulates one image (NHWC) and returns the output.
func (s *simulator) run(image []float32) ([]float32, error) {
	in := s.values[s.g.Input]
	if len(image) != len(in.Data) {
		return nil, fmt.Errorf("ptq: %s: input has %d values, want %d", s.g.Name, len(image), len(in.Data))
	}
	copy(in.Data, image)
	s.round(s.g.Input)
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
		case *graph.BatchNorm:
			fp32.ChannelAffine(out, ins[0], l.Scale, l.Shift, l.Act)
		case *graph.Activation:
			fp32.Activate(out.Data, ins[0].Data, l.Act)
		case *graph.MaxPool:
			fp32.MaxPool(out, ins[0], op.Geometry)
		case *graph.AvgPool:
			fp32.AvgPool(out, ins[0], op.Geometry)
		case *graph.GlobalAvgPool:
			fp32.GlobalAvgPool(out, ins[0])
		case *graph.Concat:
			fp32.Concat(out, ins)
		case *graph.Add:
			fp32.Add(out, ins[0], ins[1], l.Act)
		case *graph.MulChannels:
			fp32.MulChannels(out, ins[0], ins[1])
		case *graph.Shift:
			fp32.Shift(out, ins[0], op.Offsets)
		case *graph.Flatten:
			fp32.Flatten(out, ins[0])
		default:
			return nil, fmt.Errorf("ptq: %s: no simulation of %s", l.Node.Name, l.Kind)
		}
		s.round(l.Output)
	}
	return s.values[s.g.Output].Data, nil
}

// round puts value v on its int8 grid, if it has parameters.
func (s *simulator) round(v graph.Value) {
	p, ok := s.params[v]
	if !ok {
		return
	}
	d := s.values[v].Data
	for i, x := range d {
		d[i] = p.Dequantize(p.Quantize(x))
	}
}
