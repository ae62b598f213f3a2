package engine

import (
	"fmt"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/tensor"
)

// Program is a compiled graph: a list of steps over preallocated tensors.
// A Program is not safe for concurrent use: give each goroutine its own
// Clone, which shares the folded and packed weights and has its own
// activations.
type Program struct {
	graph  *graph.Graph
	shapes []tensor.Shape
	layers []*Layer
	name   string
	steps  []Step
	values []*tensor.Tensor // indexed by graph.Value; nil for folded values
	input  *tensor.Tensor
	output *tensor.Tensor
}

// Step is one kernel call of a Program.
type Step struct {
	Name   string // the graph node's module path
	Kind   string // the op with what was fused into it, e.g. "conv2d+bn+relu"
	MACs   int64
	Output tensor.Shape
	Value  graph.Value // the graph value the step writes
	run    func()
}

func newProgram(g *graph.Graph, shapes []tensor.Shape, steps []*Layer) (*Program, error) {
	p := &Program{graph: g, shapes: shapes, layers: steps, name: g.Name, values: make([]*tensor.Tensor, len(shapes))}
	buffer := func(v graph.Value) *tensor.Tensor {
		if p.values[v] == nil {
			p.values[v] = tensor.New(shapes[v])
		}
		return p.values[v]
	}
	p.input = buffer(g.Input)
	for _, s := range steps {
		ins := make([]*tensor.Tensor, len(s.Inputs))
		inShapes := make([]tensor.Shape, len(s.Inputs))
		for i, v := range s.Inputs {
			ins[i], inShapes[i] = buffer(v), shapes[v]
		}
		out := buffer(s.Output)
		run, err := p.kernel(s, ins, out)
		if err != nil {
			return nil, err
		}
		macs := graph.OpMACs(s.Node.Op, inShapes, out.Shape)
		p.steps = append(p.steps, Step{Name: s.Node.Name, Kind: s.Kind, MACs: macs, Output: out.Shape, Value: s.Output, run: run})
	}
	p.output = buffer(g.Output)
	return p, nil
}

// kernel binds one lowered step to its reference kernel.
func (p *Program) kernel(s *Layer, ins []*tensor.Tensor, out *tensor.Tensor) (func(), error) {
	in := ins[0]
	switch op := s.Node.Op.(type) {
	case *graph.Conv2D:
		geo := op.Geometry
		if s.packed == nil {
			s.packed = fp32.PackConvWeights(s.Weight, op.Out, in.Shape.C/geo.Groups, geo.KH, geo.KW)
		}
		w, bias, act := s.packed, s.Bias, s.Act
		return func() { fp32.Conv2D(out, in, w, bias, geo, act) }, nil
	case *graph.Linear:
		w, bias, act := s.Weight, s.Bias, s.Act
		return func() { fp32.Linear(out, in, w, bias, act) }, nil
	case *graph.BatchNorm:
		scale, shift, act := s.Scale, s.Shift, s.Act
		return func() { fp32.ChannelAffine(out, in, scale, shift, act) }, nil
	case *graph.Activation:
		act := s.Act
		return func() { fp32.Activate(out.Data, in.Data, act) }, nil
	case *graph.MaxPool:
		geo := op.Geometry
		return func() { fp32.MaxPool(out, in, geo) }, nil
	case *graph.AvgPool:
		geo := op.Geometry
		return func() { fp32.AvgPool(out, in, geo) }, nil
	case *graph.GlobalAvgPool:
		return func() { fp32.GlobalAvgPool(out, in) }, nil
	case *graph.Concat:
		return func() { fp32.Concat(out, ins) }, nil
	case *graph.Add:
		b, act := ins[1], s.Act
		return func() { fp32.Add(out, in, b, act) }, nil
	case *graph.MulChannels:
		scale := ins[1]
		return func() { fp32.MulChannels(out, in, scale) }, nil
	case *graph.Shift:
		offsets := op.Offsets
		return func() { fp32.Shift(out, in, offsets) }, nil
	case *graph.Flatten:
		return func() { fp32.Flatten(out, in) }, nil
	case *graph.Softmax:
		c := in.Shape.C
		return func() { fp32.Softmax(out.Data, in.Data, c) }, nil
	}
	return nil, fmt.Errorf("engine: %s: no kernel for op %s", s.Node.Name, s.Kind)
}

// Clone returns another Program running the same model, sharing its
// weights (read-only) but with its own activation buffers, for another
// goroutine.
func (p *Program) Clone() *Program {
	c, err := newProgram(p.graph, p.shapes, p.layers)
	if err != nil {
		panic("engine: a compiled program failed to compile again: " + err.Error())
	}
	return c
}

// Input is the tensor Run reads: fill its Data before calling Run.
func (p *Program) Input() *tensor.Tensor { return p.input }

// Run executes every step and returns the output tensor, which is reused by
// the next Run.
func (p *Program) Run() *tensor.Tensor {
	for i := range p.steps {
		p.steps[i].run()
	}
	return p.output
}

// RunInput copies in (NHWC, the input's size) into the input tensor and
// runs the program.
func (p *Program) RunInput(in []float32) (*tensor.Tensor, error) {
	if len(in) != len(p.input.Data) {
		return nil, fmt.Errorf("engine: %s: input has %d values, want %d (%v)", p.name, len(in), len(p.input.Data), p.input.Shape)
	}
	copy(p.input.Data, in)
	return p.Run(), nil
}

// Steps describes the compiled steps, in execution order.
func (p *Program) Steps() []Step { return p.steps }

// Value is the tensor holding graph value v after Run, or nil if v was
// folded away (a convolution's output consumed by its batch norm, say).
// Calibration reads intermediate activations through it.
func (p *Program) Value(v graph.Value) *tensor.Tensor { return p.values[v] }

// Name is the source graph's name.
func (p *Program) Name() string { return p.name }
