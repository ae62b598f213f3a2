package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
)

// Flatten turns each image into one pixel of H*W*C channels; its output
// keeps its input's parameters.
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
