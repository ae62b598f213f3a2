package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// Shift moves each channel by its own offset, filling with zero; its
// output keeps its input's parameters. On the optimized paths a 1x1
// convolution that reads it alone, directly or through a per-channel map
// such as a batch norm, folds it in (fusableShift, fusion.go); other
// shifts copy runs of channels, split over the threads by rows.
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

// optimized copies channel runs by rows; a fused shift's step is replaced
// by its convolution's.
func (op *Shift) optimized(e *nodeEnv, _ func()) (func(), string, error) {
	p, in, out := e.p, e.in, e.out
	sh, err := q8.NewShift(op.Offsets, in.Shape, int8(e.inT.Params.Zero))
	if err != nil {
		return nil, "", err
	}
	part := func(start, end int) { sh.RunRows(out, in, start, end) }
	if p.splits(len(out.Data)) {
		return func() { p.pool.Run(sh.Rows(), 1, part) }, e.kind(), nil
	}
	return func() { part(0, sh.Rows()) }, e.kind(), nil
}
