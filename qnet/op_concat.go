package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
)

// Concat joins tensors along channels; every input has the output's
// parameters. It has no optimized kernel: on the optimized paths the
// convolutions that feed it alone write straight into it instead
// (concatsInPlace, fusion.go).
type Concat struct{}

func (*Concat) Kind() string  { return "concat" }
func (*Concat) Fields(Fields) {}

func (*Concat) check(m *Model, n *Node) error {
	if len(n.Inputs) == 0 {
		return fmt.Errorf("concat of nothing")
	}
	out := m.Tensors[n.Output].Shape
	c := 0
	for i, t := range n.Inputs {
		s := m.Tensors[t].Shape
		if s.N != out.N || s.H != out.H || s.W != out.W {
			return fmt.Errorf("concat input %v does not fit %v", s, out)
		}
		if !keepsParams(m, n, i) {
			return fmt.Errorf("concat input %d has other parameters than the output", i)
		}
		if c += s.C; c > out.C {
			break // more than the output holds; stop before the sum can overflow
		}
	}
	if c != out.C {
		return fmt.Errorf("concat of %d channels into %d", c, out.C)
	}
	return nil
}

func (*Concat) reference(e *nodeEnv) (func(), error) {
	ins, out := e.inputs(), e.out
	return func() { q8ref.Concat(out, ins) }, nil
}
