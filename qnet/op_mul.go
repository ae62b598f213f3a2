package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// MulChannels rescales a tensor by a [N,1,1,C] tensor, channel by channel.
type MulChannels struct{}

func (*MulChannels) Kind() string  { return "mul" }
func (*MulChannels) Fields(Fields) {}

func (*MulChannels) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 2)
	if err != nil {
		return err
	}
	s := ins[1]
	if ins[0] != out || s.N != out.N || s.H != 1 || s.W != 1 || s.C != out.C {
		return fmt.Errorf("scales %v by %v into %v", ins[0], s, out)
	}
	return nil
}

// mulArgs is what both paths' channel multiplies take besides the values.
type mulArgs struct {
	s      *tensor.Int8 // the scales
	zX, zS int32
	o      q8ref.Output
}

func (*MulChannels) prepare(e *nodeEnv) mulArgs {
	s, sT := e.input(1)
	return mulArgs{s: s, zX: e.inT.Params.Zero, zS: sT.Params.Zero,
		o: e.output(nn.ActNone, e.rescale(float64(e.inT.Params.Scale)*float64(sT.Params.Scale)))}
}

func (op *MulChannels) reference(e *nodeEnv) (func(), error) {
	a, in, out := op.prepare(e), e.in, e.out
	return func() { q8ref.MulChannels(out, in, a.s, a.zX, a.zS, a.o) }, nil
}

// optimized splits one image's pixels into runs over the threads, each a
// view of its own (kept per part, so that running allocates nothing).
func (op *MulChannels) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	a, p, in, out := op.prepare(e), e.p, e.in, e.out
	ks := p.ks
	if pixels := in.Shape.H * in.Shape.W; in.Shape.N == 1 && p.splits(len(out.Data)) {
		views := make([][2]tensor.Int8, p.pool.Threads())
		c := in.Shape.C
		part := func(k, start, end int) {
			v := &views[k]
			v[0] = tensor.Int8{Shape: tensor.Shape{N: 1, H: 1, W: end - start, C: c}, Data: out.Data[start*c : end*c]}
			v[1] = tensor.Int8{Shape: v[0].Shape, Data: in.Data[start*c : end*c]}
			q8.MulChannels(ks, &v[0], &v[1], a.s, a.zX, a.zS, a.o)
		}
		return func() { p.pool.RunParts(pixels, max(elementGrain/c, 1), part) }, e.kind(), nil
	}
	return func() { q8.MulChannels(ks, out, in, a.s, a.zX, a.zS, a.o) }, e.kind(), nil
}
