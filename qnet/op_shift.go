package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// Shift moves each channel by its own offset, filling with zero; its
// output keeps its input's parameters. It has no optimized kernel: on the
// optimized paths a 1x1 convolution that reads it alone folds it in
// instead (fusableShift, fusion.go).
type Shift struct{ Offsets []nn.Offset }

func (*Shift) Kind() string { return "shift" }

func (op *Shift) Fields(f Fields) { f.Offsets("offsets", &op.Offsets) }

func (op *Shift) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	for c, o := range op.Offsets {
		if !inRange(o.DY, -maxOffset, maxOffset) || !inRange(o.DX, -maxOffset, maxOffset) {
			return fmt.Errorf("offsets: channel %d moves by %+v, beyond %d", c, o, maxOffset)
		}
	}
	if ins[0] != out || len(op.Offsets) != out.C {
		return fmt.Errorf("shifts %v to %v with %d offsets", ins[0], out, len(op.Offsets))
	}
	if !keepsParams(m, n, 0) {
		return fmt.Errorf("shift must keep its input's parameters")
	}
	return nil
}

func (op *Shift) reference(e *nodeEnv) (func(), error) {
	in, out, zero := e.in, e.out, int8(e.inT.Params.Zero)
	return func() { q8ref.Shift(out, in, op.Offsets, zero) }, nil
}
