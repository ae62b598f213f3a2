package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
)

// Concat joins tensors along channels; every input has the output's
// parameters.
type Concat struct{}

func (*Concat) Kind() string        { return "concat" }
func (op *Concat) Describe() string { return op.Kind() }
func (*Concat) Fields(Fields)       {}

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

func (*Concat) macs(*Model, *Node) int64 { return 0 }

func (*Concat) reference(e *nodeEnv) (func(), error) {
	ins, out := e.inputs(), e.out
	return func() { q8ref.Concat(out, ins) }, nil
}

// optimized leaves the copy to the reference, unless the concatenation's
// inputs are written straight into it (concatsInPlace).
func (*Concat) optimized(e *nodeEnv, ref func()) (func(), string, error) { return e.keepReference(ref) }
