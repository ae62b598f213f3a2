package qnet

import (
	"fmt"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Tensor is one int8 activation tensor of a model.
type Tensor struct {
	Name   string // the layer that writes it ("input" for the input)
	Shape  tensor.Shape
	Params quant.Params
}

// Op is one int8 operation; the concrete types follow.
type Op interface{ Kind() string }

// Conv is a convolution (depthwise and 1x1 included). Weights are packed
// [KH][KW][Cin/groups][Out]; Bias has the input zero-point correction
// folded in (see kernels/q8ref). Act is ActNone, ActReLU or ActReLU6, applied
// as the output clamp.
type Conv struct {
	Geometry     nn.ConvGeometry
	Out          int
	Weights      []int8
	WeightScales []float32 // per output channel
	Bias         []int32
	Act          nn.Activation
}

// Linear is a fully connected layer; Weights are [Out][In].
type Linear struct {
	Out          int
	Weights      []int8
	WeightScales []float32
	Bias         []int32
	Act          nn.Activation
}

// Table applies an element-wise function through a lookup table; Fn names
// the function it was built from.
type Table struct {
	Fn    nn.Activation
	Table [256]int8
}

// Add sums two tensors (a residual connection), with a fused clamp.
type Add struct{ Act nn.Activation }

// MulChannels rescales a tensor by a [N,1,1,C] tensor, channel by channel.
type MulChannels struct{}

// MaxPool, AvgPool, GlobalAvgPool, Concat, Shift and Flatten are the float
// ops of the same names; Requant changes a tensor's parameters.
type (
	MaxPool       struct{ Geometry nn.PoolGeometry }
	AvgPool       struct{ Geometry nn.PoolGeometry }
	GlobalAvgPool struct{}
	Concat        struct{}
	Shift         struct{ Offsets []nn.Offset }
	Flatten       struct{}
	Requant       struct{}
)

func (*Conv) Kind() string          { return "conv2d" }
func (*Linear) Kind() string        { return "linear" }
func (t *Table) Kind() string       { return "table(" + t.Fn.String() + ")" }
func (*Add) Kind() string           { return "add" }
func (*MulChannels) Kind() string   { return "mul" }
func (*MaxPool) Kind() string       { return "maxpool" }
func (*AvgPool) Kind() string       { return "avgpool" }
func (*GlobalAvgPool) Kind() string { return "globalavgpool" }
func (*Concat) Kind() string        { return "concat" }
func (*Shift) Kind() string         { return "shift" }
func (*Flatten) Kind() string       { return "flatten" }
func (*Requant) Kind() string       { return "requant" }

// Node applies Op to the Inputs tensors and writes Output.
type Node struct {
	Name   string
	Op     Op
	Inputs []int
	Output int
}

// Model is a complete int8 model.
type Model struct {
	Name          string // the zoo model it was made from, e.g. "squeezenet1_1"
	Tensors       []Tensor
	Nodes         []Node
	Input, Output int
	Labels        []string
	Preprocess    preprocess.Spec
	// Calibration says how activation ranges were chosen, for people.
	Calibration string
}

// Validate checks that the model is consistent: indices in range, nodes
// reading tensors written before them, weight and bias sizes matching the
// shapes. Models decoded from files are validated before use.
func (m *Model) Validate() error {
	nt := len(m.Tensors)
	if m.Input < 0 || m.Input >= nt || m.Output < 0 || m.Output >= nt {
		return fmt.Errorf("model %s: input %d or output %d out of range (%d tensors)", m.Name, m.Input, m.Output, nt)
	}
	written := make([]bool, nt)
	written[m.Input] = true
	for i, t := range m.Tensors {
		if !t.Shape.Valid() || t.Shape.Elems() > 1<<28 {
			return fmt.Errorf("model %s: tensor %d (%s) has invalid shape %v", m.Name, i, t.Name, t.Shape)
		}
		if !(t.Params.Scale > 0) || t.Params.Zero < quant.QMin || t.Params.Zero > quant.QMax {
			return fmt.Errorf("model %s: tensor %d (%s) has invalid parameters %v", m.Name, i, t.Name, t.Params)
		}
	}
	for i, n := range m.Nodes {
		for _, in := range n.Inputs {
			if in < 0 || in >= nt || !written[in] {
				return fmt.Errorf("model %s: node %d (%s) reads tensor %d before it is written", m.Name, i, n.Name, in)
			}
		}
		if n.Output < 0 || n.Output >= nt || written[n.Output] {
			return fmt.Errorf("model %s: node %d (%s) writes tensor %d twice or out of range", m.Name, i, n.Name, n.Output)
		}
		written[n.Output] = true
		if err := m.checkNode(&n); err != nil {
			return fmt.Errorf("model %s: node %d (%s): %w", m.Name, i, n.Name, err)
		}
	}
	if !written[m.Output] {
		return fmt.Errorf("model %s: output tensor %d is never written", m.Name, m.Output)
	}
	return nil
}

// checkNode checks one node's inputs, output shape and parameter sizes.
func (m *Model) checkNode(n *Node) error {
	shapes := make([]tensor.Shape, len(n.Inputs))
	for i, in := range n.Inputs {
		shapes[i] = m.Tensors[in].Shape
	}
	out := m.Tensors[n.Output].Shape
	want := func(count int) error {
		if len(shapes) != count {
			return fmt.Errorf("%s takes %d inputs, has %d", n.Op.Kind(), count, len(shapes))
		}
		return nil
	}
	switch op := n.Op.(type) {
	case *Conv:
		if err := want(1); err != nil {
			return err
		}
		g, in := op.Geometry, shapes[0]
		if g.Groups < 1 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 ||
			g.PadH < 0 || g.PadW < 0 || in.C%g.Groups != 0 || op.Out%g.Groups != 0 || op.Out != out.C {
			return fmt.Errorf("invalid convolution %+v from %v to %v", g, in, out)
		}
		oh, ow := g.OutSize(in.H, in.W)
		if oh != out.H || ow != out.W || in.N != out.N {
			return fmt.Errorf("convolution of %v gives %dx%d, output is %v", in, oh, ow, out)
		}
		if len(op.Weights) != g.KH*g.KW*in.C/g.Groups*op.Out || len(op.Bias) != op.Out || len(op.WeightScales) != op.Out {
			return fmt.Errorf("weights %d, bias %d, scales %d do not fit %d outputs", len(op.Weights), len(op.Bias), len(op.WeightScales), op.Out)
		}
	case *Linear:
		if err := want(1); err != nil {
			return err
		}
		in := shapes[0]
		if in.H != 1 || in.W != 1 || out.H != 1 || out.W != 1 || out.C != op.Out || out.N != in.N ||
			len(op.Weights) != op.Out*in.C || len(op.Bias) != op.Out || len(op.WeightScales) != op.Out {
			return fmt.Errorf("linear from %v to %v with %d weights", in, out, len(op.Weights))
		}
	case *Add:
		if err := want(2); err != nil {
			return err
		}
		if shapes[0] != out || shapes[1] != out {
			return fmt.Errorf("adds %v and %v into %v", shapes[0], shapes[1], out)
		}
	case *MulChannels:
		if err := want(2); err != nil {
			return err
		}
		s := shapes[1]
		if shapes[0] != out || s.N != out.N || s.H != 1 || s.W != 1 || s.C != out.C {
			return fmt.Errorf("scales %v by %v into %v", shapes[0], s, out)
		}
	case *Table, *Requant:
		if err := want(1); err != nil {
			return err
		}
		if shapes[0] != out {
			return fmt.Errorf("maps %v to %v", shapes[0], out)
		}
	case *Shift:
		if err := want(1); err != nil {
			return err
		}
		if shapes[0] != out || len(op.Offsets) != out.C {
			return fmt.Errorf("shifts %v to %v with %d offsets", shapes[0], out, len(op.Offsets))
		}
		if m.Tensors[n.Inputs[0]].Params != m.Tensors[n.Output].Params {
			return fmt.Errorf("shift must keep its input's parameters")
		}
	case *MaxPool, *AvgPool:
		if err := want(1); err != nil {
			return err
		}
		var g nn.PoolGeometry
		if mp, ok := op.(*MaxPool); ok {
			g = mp.Geometry
			if m.Tensors[n.Inputs[0]].Params != m.Tensors[n.Output].Params {
				return fmt.Errorf("max pooling must keep its input's parameters")
			}
		} else {
			g = op.(*AvgPool).Geometry
		}
		if g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.PadH < 0 || g.PadW < 0 || 2*g.PadH > g.KH || 2*g.PadW > g.KW {
			return fmt.Errorf("invalid pooling %+v", g)
		}
		oh, ow := g.OutSize(shapes[0].H, shapes[0].W)
		if oh != out.H || ow != out.W || shapes[0].C != out.C || shapes[0].N != out.N {
			return fmt.Errorf("pooling of %v gives %dx%d, output is %v", shapes[0], oh, ow, out)
		}
	case *GlobalAvgPool:
		if err := want(1); err != nil {
			return err
		}
		if out.H != 1 || out.W != 1 || out.C != shapes[0].C || out.N != shapes[0].N {
			return fmt.Errorf("global pooling of %v into %v", shapes[0], out)
		}
	case *Concat:
		if len(shapes) == 0 {
			return fmt.Errorf("concat of nothing")
		}
		c := 0
		for i, s := range shapes {
			if s.N != out.N || s.H != out.H || s.W != out.W {
				return fmt.Errorf("concat input %v does not fit %v", s, out)
			}
			if m.Tensors[n.Inputs[i]].Params != m.Tensors[n.Output].Params {
				return fmt.Errorf("concat input %d has other parameters than the output", i)
			}
			c += s.C
		}
		if c != out.C {
			return fmt.Errorf("concat of %d channels into %d", c, out.C)
		}
	case *Flatten:
		if err := want(1); err != nil {
			return err
		}
		if out.N != shapes[0].N || out.H != 1 || out.W != 1 || out.C != shapes[0].H*shapes[0].W*shapes[0].C ||
			m.Tensors[n.Inputs[0]].Params != m.Tensors[n.Output].Params {
			return fmt.Errorf("flatten of %v into %v", shapes[0], out)
		}
	default:
		return fmt.Errorf("unknown op %T", n.Op)
	}
	return nil
}

// NodeMACs counts a node's multiply-accumulates as graph.NodeMACs does
// for the float op: convolutions and fully connected layers, each weight
// once per output pixel; other ops count none.
func NodeMACs(m *Model, n *Node) int64 {
	s := m.Tensors[n.Output].Shape
	pixels := int64(s.N) * int64(s.H) * int64(s.W)
	switch op := n.Op.(type) {
	case *Conv:
		return pixels * int64(len(op.Weights))
	case *Linear:
		return pixels * int64(len(op.Weights))
	}
	return 0
}
