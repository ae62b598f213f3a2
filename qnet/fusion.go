package qnet

import (
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// The fusion passes: planning across ops that the optimized paths do
// before any op prepares its step. A shift read only by a 1x1 convolution
// is folded into it (fusableShift), also through a per-channel map between
// them, which then runs before the shift; the channel order the fused
// kernel reads best (shiftOrders); convolutions that feed a concatenation
// alone write straight into it (concatsInPlace). The ops read the results
// from the Program (permOut, permIn, into, inputFrom) and mark what they
// absorb in p.fused.

// fusion is how fused kernels change tensor lifetimes: tensor t is also
// read at step readAt[t] (a kernel reading past the node it replaces), is
// written from step writeAt[t] (convolutions writing straight into a
// concatenation), skipped tensors are never materialized, and tensor t
// has extra[t] bytes of room past its data (a fill row).
type fusion struct {
	readAt, writeAt map[int]int
	skip            map[int]bool
	extra           map[int]int
}

// concatSlot is a convolution's place in the concatenation it writes
// straight into: the concat node and the first channel.
type concatSlot struct{ node, offset int }

// planFusion runs the fusion passes of an optimized path and returns how
// they change tensor lifetimes. A shift fused into its convolution is
// read by the convolution's step (or by the per-channel map between
// them): its input must outlive the shift node, and the shifted tensor
// never exists. Convolutions writing into a concatenation make its output
// live from the first of them, and their own outputs never exist.
func (p *Program) planFusion() fusion {
	m := p.model
	fuse := fusion{readAt: map[int]int{}, writeAt: map[int]int{}, skip: map[int]bool{}, extra: map[int]int{}}
	p.inputFrom = map[int]int{}
	if p.path == dispatch.Ref {
		return fuse
	}
	p.shiftOrders()
	for i := range m.Nodes {
		if _, ok := m.Nodes[i].Op.(*Conv); !ok {
			continue
		}
		sf, ok := p.fusableShift(&m.Nodes[i])
		if !ok {
			continue
		}
		shift := &m.Nodes[sf.shift]
		fuse.readAt[shift.Inputs[0]] = i
		fuse.skip[shift.Output] = true
		if sf.through >= 0 {
			// The map reads the shift's input, and its output gets the fill row.
			fuse.readAt[shift.Inputs[0]] = sf.through
			p.inputFrom[sf.through] = shift.Inputs[0]
			fuse.extra[m.Nodes[sf.through].Output] = m.Tensors[shift.Output].Shape.C
		}
	}
	p.concatsInPlace()
	for conv, slot := range p.into {
		cat := m.Nodes[slot.node].Output
		if w, ok := fuse.writeAt[cat]; !ok || conv < w {
			fuse.writeAt[cat] = conv
		}
		fuse.skip[m.Nodes[conv].Output] = true
	}
	return fuse
}

// shiftFusion is a shift node folded into the 1x1 convolution after it,
// directly or through a per-channel map node (through, else -1).
type shiftFusion struct{ shift, through int }

// fusableShift finds the shift feeding convolution n that can be folded
// into it: n is 1x1 without groups, and reads the shifted tensor, or the
// output of a per-channel map of it (perChannel), each tensor read by the
// next node alone (so it need never exist as shifted).
func (p *Program) fusableShift(n *Node) (shiftFusion, bool) {
	op := n.Op.(*Conv)
	if op.Geometry.KH != 1 || op.Geometry.KW != 1 || op.Geometry.Groups != 1 {
		return shiftFusion{}, false
	}
	sf := shiftFusion{through: -1}
	t := n.Inputs[0]
	for range 2 {
		i := p.producer[t]
		if i < 0 || p.readers[t] != 1 || t == p.model.Output {
			return shiftFusion{}, false
		}
		node := &p.model.Nodes[i]
		if _, ok := node.Op.(*Shift); ok {
			sf.shift = i
			return sf, true
		}
		if sf.through >= 0 || !perChannel(p.model, node) {
			return shiftFusion{}, false
		}
		sf.through, t = i, node.Inputs[0]
	}
	return shiftFusion{}, false
}

// perChannel reports whether node maps every value through a function of
// its channel alone, the same at every pixel: a 1x1 depthwise convolution
// without stride or padding (a batch norm, with its activation).
func perChannel(m *Model, n *Node) bool {
	c, ok := n.Op.(*Conv)
	if !ok {
		return false
	}
	g, in := c.Geometry, m.Tensors[n.Inputs[0]].Shape
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.Groups == in.C && c.Out == in.C
}

// shiftFill is the fill row of a shift folded through the per-channel
// map node f: f's output for a pixel of the shift's zero point, channel
// by channel, which is what the map makes of the shift's vacated
// positions.
func (p *Program) shiftFill(f int) []int8 {
	e := p.nodeEnv(f)
	op := e.n.Op.(*Conv)
	c := e.inT.Shape.C
	zero := tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: c})
	for i := range zero.Data {
		zero.Data[i] = int8(e.inT.Params.Zero)
	}
	fill := tensor.NewInt8(zero.Shape)
	o := e.output(op.Act, e.perChannel(op.WeightScales)...)
	q8ref.Conv2D(fill, zero, op.Weights, op.Bias, op.Geometry, e.inT.Params.Zero, o, make([]int32, c))
	return fill.Data
}

// shiftOrders finds the shifts whose channel order should change for the
// fused shift+conv kernel: a shift with interleaved offsets (every channel
// its own run) between a convolution and a 1x1 convolution, each tensor
// read by the next node alone. The first convolution then writes its
// channels in the kernels' shift channel order (q8.ShiftChannelOrder), and the second reads them so: the
// network computes the same values, with runs of equal offsets the fused
// kernel reads whole.
func (p *Program) shiftOrders() {
	m := p.model
	p.permOut, p.permIn = map[int][]int{}, map[int][]int{}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if _, ok := n.Op.(*Conv); !ok {
			continue
		}
		sf, ok := p.fusableShift(n)
		if !ok || sf.through >= 0 {
			continue
		}
		s := sf.shift
		t := m.Nodes[s].Inputs[0]
		first := p.producer[t]
		if first < 0 || p.readers[t] != 1 || t == m.Output {
			continue
		}
		c, ok := m.Nodes[first].Op.(*Conv)
		if !ok || c.Geometry.Groups != 1 {
			continue
		}
		perm := q8.ShiftChannelOrder(m.Nodes[s].Op.(*Shift).Offsets)
		identity := true
		for j, v := range perm {
			identity = identity && j == v
		}
		if !identity {
			p.permOut[first], p.permIn[i] = perm, perm
		}
	}
}

// permuteOutputs reorders a convolution's output channels: new channel j is
// old channel perm[j]. Weights are [KH][KW][Cin][Cout].
func permuteOutputs(w []int8, bias []int32, mult []float32, perm []int) ([]int8, []int32, []float32) {
	cout := len(perm)
	w2, b2, m2 := make([]int8, len(w)), make([]int32, cout), make([]float32, cout)
	for row := 0; row < len(w)/cout; row++ {
		for j, o := range perm {
			w2[row*cout+j] = w[row*cout+o]
		}
	}
	for j, o := range perm {
		b2[j] = bias[o]
		if len(mult) == 1 {
			m2[j] = mult[0]
		} else {
			m2[j] = mult[o]
		}
	}
	return w2, b2, m2
}

// permuteInputs reorders a 1x1 convolution's input channels and the shift
// offsets that go with them: new channel j is old channel perm[j].
func permuteInputs(offsets []nn.Offset, w []int8, perm []int, cout int) ([]nn.Offset, []int8) {
	o2, w2 := make([]nn.Offset, len(perm)), make([]int8, len(w))
	for j, c := range perm {
		o2[j] = offsets[c]
		copy(w2[j*cout:(j+1)*cout], w[c*cout:(c+1)*cout])
	}
	return o2, w2
}

// concatsInPlace finds the concatenations whose inputs are all written by
// convolutions read by nothing else, in the concatenation's own
// parameters (a Fire module's expand layers): each convolution then
// writes its channels straight into the concatenated tensor.
func (p *Program) concatsInPlace() {
	m := p.model
	p.into = map[int]concatSlot{}
	for c := range m.Nodes {
		if _, ok := m.Nodes[c].Op.(*Concat); !ok {
			continue
		}
		cat := m.Nodes[c].Output
		slots := map[int]concatSlot{}
		offset := 0
		for _, t := range m.Nodes[c].Inputs {
			k := p.producer[t]
			if k < 0 || p.readers[t] != 1 || t == m.Output || m.Tensors[t].Params != m.Tensors[cat].Params {
				break
			}
			conv, ok := m.Nodes[k].Op.(*Conv)
			if !ok || conv.Geometry.Groups != 1 {
				break
			}
			if _, shifted := p.fusableShift(&m.Nodes[k]); shifted {
				break
			}
			if _, dup := slots[k]; dup {
				break
			}
			slots[k] = concatSlot{node: c, offset: offset}
			offset += m.Tensors[t].Shape.C
		}
		if len(slots) == len(m.Nodes[c].Inputs) {
			for k, s := range slots {
				p.into[k] = s
			}
		}
	}
}
