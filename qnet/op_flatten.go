package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
)

// Flatten turns each image into one pixel of H*W*C channels; its output
// keeps its input's parameters. On the optimized paths the flatten of
// one-pixel images (after a global pool) is a copy; others stay on the
// reference.
type Flatten struct{}

func (*Flatten) Kind() string  { return "flatten" }
func (*Flatten) Fields(Fields) {}

func (*Flatten) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	if in := ins[0]; out.N != in.N || out.H != 1 || out.W != 1 || out.C != in.H*in.W*in.C || !keepsParams(m, n, 0) {
		return fmt.Errorf("flatten of %v into %v", in, out)
	}
	return nil
}

func (*Flatten) reference(e *nodeEnv) (func(), error) {
	in, out := e.in, e.out
	return func() { q8ref.Flatten(out, in) }, nil
}

func (*Flatten) optimized(e *nodeEnv, ref func()) (func(), string, error) {
	in, out := e.in, e.out
	if in.Shape.H*in.Shape.W != 1 {
		return e.keepReference(ref)
	}
	return func() { q8.Flatten(out, in) }, e.kind(), nil
}
