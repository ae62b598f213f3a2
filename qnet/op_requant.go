package qnet

import (
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// Requant changes a tensor's quantization parameters.
type Requant struct{}

func (*Requant) Kind() string  { return "requant" }
func (*Requant) Fields(Fields) {}

func (*Requant) check(m *Model, n *Node) error { return checkMap(m, n) }

func (*Requant) reference(e *nodeEnv) (func(), error) {
	in, out := e.in, e.out
	o, zIn := e.output(nn.ActNone, e.requant()), e.inT.Params.Zero
	return func() { q8ref.Requant(out.Data, in.Data, zIn, o) }, nil
}
