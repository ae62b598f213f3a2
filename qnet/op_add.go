package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Add sums two tensors (a residual connection), with a fused clamp.
type Add struct{ Act nn.Activation }

func (*Add) Kind() string { return "add" }

func (op *Add) Describe() string { return "add" + actSuffix(op.Act) }

func (op *Add) Fields(f Fields) { f.Act("act", &op.Act) }

func (op *Add) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 2)
	if err != nil {
		return err
	}
	if !clampAct(op.Act) {
		return fmt.Errorf("act %v: an add can only fuse none, relu or relu6", op.Act)
	}
	if ins[0] != out || ins[1] != out {
		return fmt.Errorf("adds %v and %v into %v", ins[0], ins[1], out)
	}
	return nil
}

// addArgs is what both paths' add kernels take besides the values.
type addArgs struct {
	b      *tensor.Int8 // the second input
	zA, zB int32
	mA, mB float32
	o      q8ref.Output
}

func (op *Add) prepare(e *nodeEnv) addArgs {
	b, bT := e.input(1)
	return addArgs{b: b, zA: e.inT.Params.Zero, zB: bT.Params.Zero,
		mA: e.requant(), mB: e.rescale(float64(bT.Params.Scale)), o: e.output(op.Act)}
}

func (op *Add) reference(e *nodeEnv) (func(), error) {
	a, in, out := op.prepare(e), e.in, e.out
	return func() { q8ref.Add(out.Data, in.Data, a.b.Data, a.zA, a.zB, a.mA, a.mB, a.o) }, nil
}

// optimized splits the add over the threads by values.
func (op *Add) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	a, ks, in, out := op.prepare(e), e.p.ks, e.in, e.out
	part := func(start, end int) {
		q8.Add(ks, out.Data[start:end], in.Data[start:end], a.b.Data[start:end], a.zA, a.zB, a.mA, a.mB, a.o)
	}
	return e.elementwise(len(out.Data), part), e.kind(), nil
}
