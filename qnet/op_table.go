package qnet

import (
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// Table applies an element-wise function through a lookup table; Fn names
// the function it was built from. Entry q+128 is the output for input q.
type Table struct {
	Fn    nn.Activation
	Table [256]int8
}

func (t *Table) Kind() string { return "table(" + t.Fn.String() + ")" }

func (t *Table) Fields(f Fields) {
	f.Act("fn", &t.Fn)
	f.Int8Array("table", t.Table[:])
}

func (t *Table) check(m *Model, n *Node) error { return checkMap(m, n) }

func (t *Table) reference(e *nodeEnv) (func(), error) {
	in, out := e.in, e.out
	return func() { q8ref.LookupTable(out.Data, in.Data, &t.Table) }, nil
}

// optimized splits the table over the threads by values.
func (t *Table) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	ks, in, out := e.p.ks, e.in, e.out
	part := func(start, end int) { q8.LookupTable(ks, out.Data[start:end], in.Data[start:end], &t.Table) }
	return e.elementwise(len(out.Data), part), e.kind(), nil
}
