package qnet

import (
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// AvgPool is average pooling, requantized to the output's parameters.
type AvgPool struct{ Geometry nn.PoolGeometry }

func (*AvgPool) Kind() string { return "avgpool" }

func (op *AvgPool) Describe() string { return "avgpool " + describePool(op.Geometry) }

func (op *AvgPool) Fields(f Fields) { f.PoolGeometry("pool", &op.Geometry) }

func (op *AvgPool) check(m *Model, n *Node) error { return checkPool(m, n, op.Geometry) }

func (op *AvgPool) reference(e *nodeEnv) (func(), error) {
	in, out, g := e.in, e.out, op.Geometry
	o, zIn := e.output(nn.ActNone, e.requant()), e.inT.Params.Zero
	return func() { q8ref.AvgPool(out, in, g, zIn, o) }, nil
}

// optimized splits the pooling over the threads by output rows when it
// can (poolRows).
func (op *AvgPool) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	ks, g := e.p.ks, op.Geometry
	o, zIn := e.output(nn.ActNone, e.requant()), e.inT.Params.Zero
	return e.poolRows(g, func(dst, src *tensor.Int8) { q8.AvgPool(ks, dst, src, g, zIn, o) }), e.kind(), nil
}
