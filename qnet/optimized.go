package qnet

import (
	"fmt"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// convMultipliers is a convolution's or linear layer's per output channel
// requantization multipliers, sIn*sW[o]/sOut.
func (p *Program) convMultipliers(n *Node, weightScales []float32) []float32 {
	sIn := float64(p.model.Tensors[n.Inputs[0]].Params.Scale)
	sOut := float64(p.model.Tensors[n.Output].Params.Scale)
	mult := make([]float32, len(weightScales))
	for o, w := range weightScales {
		mult[o] = Multiplier(sIn*float64(w), sOut)
	}
	return mult
}

// elementGrain is the smallest share of an elementwise layer (lookup
// table, add, channel multiply) worth handing to another thread: fewer
// values take less time than the hand-over.
const elementGrain = 16 * 1024

// splits reports whether an elementwise layer of n values is split over
// the program's threads.
func (p *Program) splits(n int) bool { return p.pool.Threads() > 1 && n >= 2*elementGrain }

// poolRows splits a pooling layer over the threads by output rows, when
// it can be: one image, no padding, and enough values to be worth it.
// Output rows [r0, r1) then are the same pooling of input rows
// [r0*stride, min(H, (r1-1)*stride+KH)): a window of an interior run
// never reaches past it, and only the last run has the bottom edge, where
// ceil mode clips a window as it does for the whole tensor. It returns a
// function that makes the step from the kernel call on a pair of views,
// or nil. The views are kept per part, so running allocates nothing.
func (p *Program) poolRows(out, in *tensor.Int8, g nn.PoolGeometry) func(run func(dst, src *tensor.Int8)) func() {
	if in.Shape.N != 1 || g.PadH != 0 || g.PadW != 0 || !p.splits(len(in.Data)) {
		return nil
	}
	views := make([][2]tensor.Int8, p.pool.Threads())
	rowIn, rowOut := in.Shape.W*in.Shape.C, out.Shape.W*out.Shape.C
	return func(run func(dst, src *tensor.Int8)) func() {
		part := func(k, r0, r1 int) {
			i0, i1 := r0*g.StrideH, min(in.Shape.H, (r1-1)*g.StrideH+g.KH)
			v := &views[k]
			v[0] = tensor.Int8{Shape: tensor.Shape{N: 1, H: r1 - r0, W: out.Shape.W, C: out.Shape.C}, Data: out.Data[r0*rowOut : r1*rowOut]}
			v[1] = tensor.Int8{Shape: tensor.Shape{N: 1, H: i1 - i0, W: in.Shape.W, C: in.Shape.C}, Data: in.Data[i0*rowIn : i1*rowIn]}
			run(&v[0], &v[1])
		}
		return func() { p.pool.RunParts(out.Shape.H, 1, part) }
	}
}

// optimized is the node on p.path's packed kernels; ref is its reference
// closure, kept for ops the optimized kernels leave to it (concat,
// flatten, requant, grouped non-depthwise convolutions).
func (p *Program) optimized(i int, n *Node, producer []int, ref func()) (func(), string, error) {
	m, path := p.model, p.path
	ks, err := dispatch.Q8Kernels(path)
	if err != nil {
		return nil, "", err
	}
	in, out := p.values[n.Inputs[0]], p.values[n.Output]
	inT, outT := m.Tensors[n.Inputs[0]], m.Tensors[n.Output]
	sIn, sOut := float64(inT.Params.Scale), float64(outT.Params.Scale)
	kind := n.Op.Kind() + " [" + path.String() + "]"
	switch op := n.Op.(type) {
	case *Conv:
		mult := p.convMultipliers(n, op.WeightScales)
		g, zIn, w, bias := op.Geometry, inT.Params.Zero, op.Weights, op.Bias
		if perm := p.permOut[i]; perm != nil {
			w, bias, mult = permuteOutputs(w, bias, mult, perm)
		}
		o := output(outT, op.Act, mult...)
		if g.Groups == 1 {
			if shift := p.fusableShift(n, producer); shift >= 0 {
				sn := &m.Nodes[shift]
				src := p.values[sn.Inputs[0]]
				offsets := sn.Op.(*Shift).Offsets
				if perm := p.permIn[i]; perm != nil {
					offsets, w = permuteInputs(offsets, w, perm, op.Out)
				}
				sc, err := q8.NewShiftConv(ks, offsets, w, bias, g, src.Shape, out.Shape, zIn, o)
				if err != nil {
					return nil, "", err
				}
				p.fused[shift] = true
				return func() { sc.Run(out, src) }, "shift+" + kind, nil
			}
			c, err := q8.NewConv(ks, w, bias, g, in.Shape, out.Shape, zIn, o)
			if err != nil {
				return nil, "", err
			}
			if slot, ok := p.into[i]; ok {
				cat := p.values[m.Nodes[slot.node].Output]
				stride, offset := cat.Shape.C, slot.offset
				part := func(start, end int) { c.RunRangeInto(cat.Data, stride, offset, in, start, end) }
				p.fused[slot.node] = true
				return func() { p.pool.Run(c.Pixels(), 4, part) }, kind + " into " + m.Nodes[slot.node].Name, nil
			}
			if p.pool.Threads() > 1 {
				part := func(start, end int) { c.RunRange(out, in, start, end) }
				return func() { p.pool.Run(c.Pixels(), 4, part) }, kind, nil
			}
			return func() { c.Run(out, in) }, kind, nil
		}
		if g.Groups == in.Shape.C && op.Out == in.Shape.C {
			d, err := q8.NewDepthwise(ks, w, bias, g, in.Shape, out.Shape, zIn, o)
			if err != nil {
				return nil, "", err
			}
			if p.pool.Threads() > 1 {
				part := func(start, end int) { d.RunRows(out, in, start, end) }
				return func() { p.pool.Run(d.Rows(), 1, part) }, "depthwise " + kind, nil
			}
			return func() { d.Run(out, in) }, "depthwise " + kind, nil
		}
		return ref, n.Op.Kind() + " [ref]", nil
	case *Linear:
		o := output(outT, op.Act, p.convMultipliers(n, op.WeightScales)...)
		l, err := q8.NewLinear(ks, op.Weights, op.Bias, in.Shape, out.Shape, o)
		if err != nil {
			return nil, "", err
		}
		return func() { l.Run(out, in) }, kind, nil
	case *Table:
		if p.splits(len(out.Data)) {
			part := func(start, end int) { q8.LookupTable(ks, out.Data[start:end], in.Data[start:end], &op.Table) }
			return func() { p.pool.Run(len(out.Data), elementGrain, part) }, kind, nil
		}
		return func() { q8.LookupTable(ks, out.Data, in.Data, &op.Table) }, kind, nil
	case *Add:
		b := p.values[n.Inputs[1]]
		bT := m.Tensors[n.Inputs[1]]
		mA, mB := Multiplier(sIn, sOut), Multiplier(float64(bT.Params.Scale), sOut)
		o, zA, zB := output(outT, op.Act), inT.Params.Zero, bT.Params.Zero
		if p.splits(len(out.Data)) {
			part := func(start, end int) {
				q8.Add(ks, out.Data[start:end], in.Data[start:end], b.Data[start:end], zA, zB, mA, mB, o)
			}
			return func() { p.pool.Run(len(out.Data), elementGrain, part) }, kind, nil
		}
		return func() { q8.Add(ks, out.Data, in.Data, b.Data, zA, zB, mA, mB, o) }, kind, nil
	case *MulChannels:
		s := p.values[n.Inputs[1]]
		sT := m.Tensors[n.Inputs[1]]
		o := output(outT, nn.ActNone, Multiplier(sIn*float64(sT.Params.Scale), sOut))
		zX, zS := inT.Params.Zero, sT.Params.Zero
		if pixels := in.Shape.H * in.Shape.W; in.Shape.N == 1 && p.splits(len(out.Data)) {
			// One image: the pixels split into runs, each a view of its own
			// (kept per part, so that running allocates nothing).
			views := make([][2]tensor.Int8, p.pool.Threads())
			c := in.Shape.C
			part := func(k, start, end int) {
				v := &views[k]
				v[0] = tensor.Int8{Shape: tensor.Shape{N: 1, H: 1, W: end - start, C: c}, Data: out.Data[start*c : end*c]}
				v[1] = tensor.Int8{Shape: v[0].Shape, Data: in.Data[start*c : end*c]}
				q8.MulChannels(ks, &v[0], &v[1], s, zX, zS, o)
			}
			return func() { p.pool.RunParts(pixels, max(elementGrain/c, 1), part) }, kind, nil
		}
		return func() { q8.MulChannels(ks, out, in, s, zX, zS, o) }, kind, nil
	case *MaxPool:
		g := op.Geometry
		if split := p.poolRows(out, in, g); split != nil {
			return split(func(dst, src *tensor.Int8) { q8.MaxPool(ks, dst, src, g) }), kind, nil
		}
		return func() { q8.MaxPool(ks, out, in, g) }, kind, nil
	case *AvgPool:
		o, zIn, g := output(outT, nn.ActNone, Multiplier(sIn, sOut)), inT.Params.Zero, op.Geometry
		if split := p.poolRows(out, in, g); split != nil {
			return split(func(dst, src *tensor.Int8) { q8.AvgPool(ks, dst, src, g, zIn, o) }), kind, nil
		}
		return func() { q8.AvgPool(ks, out, in, g, zIn, o) }, kind, nil
	case *GlobalAvgPool:
		o, zIn := output(outT, nn.ActNone, Multiplier(sIn, sOut)), inT.Params.Zero
		return func() { q8.GlobalAvgPool(ks, out, in, zIn, o) }, kind, nil
	case *Concat, *Flatten, *Requant, *Shift:
		return ref, n.Op.Kind() + " [ref]", nil
	}
	return nil, "", fmt.Errorf("no kernel for %T", n.Op)
}

// fusableShift returns the index of the shift node feeding convolution n
// when the shift can be folded into it: n is 1x1 without groups, and the
// shifted tensor is read by n alone (so it need never exist). Otherwise -1.
func (p *Program) fusableShift(n *Node, producer []int) int {
	op := n.Op.(*Conv)
	if op.Geometry.KH != 1 || op.Geometry.KW != 1 || op.Geometry.Groups != 1 {
		return -1
	}
	t := n.Inputs[0]
	i := producer[t]
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
func (p *Program) shiftOrders(producer []int) {
	m := p.model
	p.permOut, p.permIn = map[int][]int{}, map[int][]int{}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if _, ok := n.Op.(*Conv); !ok {
			continue
		}
		s := p.fusableShift(n, producer)
		if s < 0 {
			continue
		}
		t := m.Nodes[s].Inputs[0]
		first := producer[t]
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
func (p *Program) concatsInPlace(producer []int) {
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
			k := producer[t]
			if k < 0 || p.readers[t] != 1 || t == m.Output || m.Tensors[t].Params != m.Tensors[cat].Params {
				break
			}
			conv, ok := m.Nodes[k].Op.(*Conv)
			if !ok || conv.Geometry.Groups != 1 || p.fusableShift(&m.Nodes[k], producer) >= 0 {
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
