package qnet

import (
	"fmt"
	"math"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// Linear is a fully connected layer; Weights are [Out][In].
type Linear struct {
	Out          int
	Weights      []int8
	WeightScales []float32
	Bias         []int32
	Act          nn.Activation
}

func (*Linear) Kind() string { return "linear" }

func (op *Linear) Describe() string { return "linear" + actSuffix(op.Act) }

func (op *Linear) Fields(f Fields) {
	f.Int("out", &op.Out)
	f.Act("act", &op.Act)
	f.Int8s("weights", &op.Weights)
	f.Float32s("weight_scales", &op.WeightScales)
	f.Int32s("bias", &op.Bias)
}

func (op *Linear) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	in := ins[0]
	if op.Out != out.C {
		return fmt.Errorf("out %d: output tensor has %d channels", op.Out, out.C)
	}
	if in.H != 1 || in.W != 1 || out.H != 1 || out.W != 1 || out.N != in.N {
		return fmt.Errorf("linear from %v to %v: want one pixel per image in and out", in, out)
	}
	want, ok := product(math.MaxInt32, op.Out, in.C)
	if !ok || len(op.Weights) != want {
		return fmt.Errorf("weights: %d values, want %dx%d", len(op.Weights), op.Out, in.C)
	}
	return checkChannels(op.Out, op.WeightScales, op.Bias, op.Act)
}

// macs counts each weight once per image.
func (op *Linear) macs(m *Model, n *Node) int64 {
	s := m.Tensors[n.Output].Shape
	return int64(s.N) * int64(s.H) * int64(s.W) * int64(len(op.Weights))
}

func (op *Linear) reference(e *nodeEnv) (func(), error) {
	in, out, o := e.in, e.out, e.output(op.Act, e.perChannel(op.WeightScales)...)
	return func() { q8ref.Linear(out, in, op.Weights, op.Bias, o) }, nil
}

func (op *Linear) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	in, out := e.in, e.out
	o := e.output(op.Act, e.perChannel(op.WeightScales)...)
	l, err := q8.NewLinear(e.p.ks, op.Weights, op.Bias, in.Shape, out.Shape, o)
	if err != nil {
		return nil, "", err
	}
	return func() { l.Run(out, in) }, e.kind(), nil
}
