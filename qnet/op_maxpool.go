package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// MaxPool is max pooling; its output keeps its input's parameters.
type MaxPool struct{ Geometry nn.PoolGeometry }

func (*MaxPool) Kind() string { return "maxpool" }

func (op *MaxPool) Describe() string { return "maxpool " + describePool(op.Geometry) }

func (op *MaxPool) Fields(f Fields) { f.PoolGeometry("pool", &op.Geometry) }

func (op *MaxPool) check(m *Model, n *Node) error {
	if err := checkPool(m, n, op.Geometry); err != nil {
		return err
	}
	if !keepsParams(m, n, 0) {
		return fmt.Errorf("max pooling must keep its input's parameters")
	}
	return nil
}

func (op *MaxPool) reference(e *nodeEnv) (func(), error) {
	in, out := e.in, e.out
	return func() { q8ref.MaxPool(out, in, op.Geometry) }, nil
}

// optimized splits the pooling over the threads by output rows when it
// can (poolRows).
func (op *MaxPool) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	ks, g := e.p.ks, op.Geometry
	return e.poolRows(g, func(dst, src *tensor.Int8) { q8.MaxPool(ks, dst, src, g) }), e.kind(), nil
}
