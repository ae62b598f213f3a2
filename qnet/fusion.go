package qnet

import (
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/nn"
)

// The fusion passes: planning across ops that the optimized paths do
// before any op prepares its step. A shift read only by a 1x1 convolution
// is folded into it (fusableShift), with the channel order the fused
// kernel reads best (shiftOrders); convolutions that feed a concatenation
// alone write straight into it (concatsInPlace). The ops read the
// results from the Program (permOut, permIn, into) and mark what they
// absorb in p.fused.

// fusion is how fused kernels change tensor lifetimes: tensor t is also
// read at step readAt[t] (a kernel reading past the node it replaces), is
// written from step writeAt[t] (convolutions writing straight into a
// concatenation), and skipped tensors are never materialized.
type fusion struct {
	readAt, writeAt map[int]int
	skip            map[int]bool
}

// concatSlot is a convolution's place in the concatenation it writes
// straight into: the concat node and the first channel.
type concatSlot struct{ node, offset int }

// planFusion runs the fusion passes of an optimized path and returns how
// they change tensor lifetimes. A shift fused into its convolution is
// read by the convolution's step: its input must outlive the shift node.
// Convolutions writing into a concatenation make its output live from the
// first of them, and their own outputs never exist.
func (p *Program) planFusion() fusion {
	m := p.model
	fuse := fusion{readAt: map[int]int{}, writeAt: map[int]int{}, skip: map[int]bool{}}
	if p.path == dispatch.Ref {
		return fuse
	}
	p.shiftOrders()
	for i := range m.Nodes {
		if _, ok := m.Nodes[i].Op.(*Conv); ok {
			if s := p.fusableShift(&m.Nodes[i]); s >= 0 {
				fuse.readAt[m.Nodes[s].Inputs[0]] = i
			}
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

// fusableShift returns the index of the shift node feeding convolution n
// when the shift can be folded into it: n is 1x1 without groups, and the
// shifted tensor is read by n alone (so it need never exist). Otherwise -1.
func (p *Program) fusableShift(n *Node) int {
	op := n.Op.(*Conv)
	if op.Geometry.KH != 1 || op.Geometry.KW != 1 || op.Geometry.Groups != 1 {
		return -1
	}
	t := n.Inputs[0]
	i := p.producer[t]
	if i < 0 || p.readers[t] != 1 {
		return -1
	}
	if _, ok := p.model.Nodes[i].Op.(*Shift); !ok {
		return -1
	}
	return i
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
		s := p.fusableShift(n)
		if s < 0 {
			continue
		}
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
			if !ok || conv.Geometry.Groups != 1 || p.fusableShift(&m.Nodes[k]) >= 0 {
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
