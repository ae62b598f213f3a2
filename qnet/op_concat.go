package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
)

// Concat joins tensors along channels; every input has the output's
// parameters. On the optimized paths the convolutions that feed it alone
// write straight into it instead (concatsInPlace, fusion.go); other
// inputs are copied pixel by pixel, split over the threads.
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

// optimized copies the inputs' pixels, split over the threads by pixels.
func (*Concat) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	ins, out := e.inputs(), e.out
	pixels := out.Shape.N * out.Shape.H * out.Shape.W
	part := func(start, end int) { q8.ConcatRange(out, ins, start, end) }
	if e.p.splits(len(out.Data)) {
		return func() { e.p.pool.Run(pixels, max(elementGrain/out.Shape.C, 1), part) }, e.kind(), nil
	}
	return func() { part(0, pixels) }, e.kind(), nil
}
