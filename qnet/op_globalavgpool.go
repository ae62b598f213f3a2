package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// GlobalAvgPool averages each channel of an image to one value.
type GlobalAvgPool struct{}

func (*GlobalAvgPool) Kind() string  { return "globalavgpool" }
func (*GlobalAvgPool) Fields(Fields) {}

func (*GlobalAvgPool) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	if in := ins[0]; out.H != 1 || out.W != 1 || out.C != in.C || out.N != in.N {
		return fmt.Errorf("global pooling of %v into %v", in, out)
	}
	return nil
}

func (*GlobalAvgPool) reference(e *nodeEnv) (func(), error) {
	in, out := e.in, e.out
	o, zIn := e.output(nn.ActNone, e.requant()), e.inT.Params.Zero
	return func() { q8ref.GlobalAvgPool(out, in, zIn, o) }, nil
}

func (*GlobalAvgPool) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	ks, in, out := e.p.ks, e.in, e.out
	o, zIn := e.output(nn.ActNone, e.requant()), e.inT.Params.Zero
	return func() { q8.GlobalAvgPool(ks, out, in, zIn, o) }, e.kind(), nil
}
