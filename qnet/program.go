package qnet

import (
	"fmt"
	"runtime"
	"time"

	"neonet.dev/neonet/internal/workers"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Program is a compiled int8 model. It is not safe for concurrent use;
// compile one per goroutine (weights are shared with the Model).
type Program struct {
	model   *Model
	path    dispatch.Path
	values  []*tensor.Int8
	steps   []step
	logits  []float32
	readers []int // how many nodes read each tensor (the output counts once more)
	fused   []bool
	pool    *workers.Pool
	plan    Plan
	permOut map[int][]int      // conv node -> output channel order (see shiftOrders)
	permIn  map[int][]int      // conv node fused with a shift -> input channel order
	into    map[int]concatSlot // conv node -> where it writes in a concatenation
}

// concatSlot is a convolution's place in the concatenation it writes
// straight into: the concat node and the first channel.
type concatSlot struct{ node, offset int }

type step struct {
	name, kind string
	run        func()
}

// Options tune Compile.
type Options struct {
	// Kernels is the kernel path: dispatch.Ref runs the kernels/q8ref reference,
	// the NEON paths the packed optimized kernels (their Go twins where
	// the assembly is not built). Every path gives the same bytes.
	Kernels dispatch.Path
	// Threads is how many cores the big layers are split over (0: all of
	// them). The reference path always runs on one.
	Threads int
	// SeparateBuffers gives every tensor its own buffer instead of a place
	// in the planned arena, so that Value shows every intermediate tensor
	// after Run (for comparing with the float model).
	SeparateBuffers bool
}

// Compile validates m and prepares it to run on the kernel path that
// dispatch.Select picks (the fastest this CPU has, or NEONET_KERNELS).
func Compile(m *Model) (*Program, error) {
	path, err := dispatch.Select()
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	return CompileWith(m, Options{Kernels: path})
}

// CompileWith validates m and prepares it to run: buffers for every tensor,
// and for every op the float32 multipliers (ratios of scales, each
// computed once in float64 and rounded to float32), clamp bounds and, on
// the optimized paths, weights packed once. A shift read only by a 1x1
// convolution is fused into it (no copy, no buffer traffic).
func CompileWith(m *Model, opt Options) (*Program, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if !dispatch.Supported(opt.Kernels) {
		return nil, fmt.Errorf("model %s: kernel path %s is not supported on this CPU", m.Name, opt.Kernels)
	}
	p := &Program{model: m, path: opt.Kernels, values: make([]*tensor.Int8, len(m.Tensors)),
		readers: make([]int, len(m.Tensors)), fused: make([]bool, len(m.Nodes))}
	for _, n := range m.Nodes {
		for _, t := range n.Inputs {
			p.readers[t]++
		}
	}
	p.readers[m.Output]++
	producer := make([]int, len(m.Tensors))
	for i := range producer {
		producer[i] = -1
	}
	for i, n := range m.Nodes {
		producer[n.Output] = i
	}
	// A shift fused into its convolution is read by the convolution's
	// step: its input must outlive the shift node. Convolutions writing
	// into a concatenation make its output live from the first of them,
	// and their own outputs never exist.
	fuse := fusion{readAt: map[int]int{}, writeAt: map[int]int{}, skip: map[int]bool{}}
	if opt.Kernels != dispatch.Ref {
		p.shiftOrders(producer)
		for i := range m.Nodes {
			if _, ok := m.Nodes[i].Op.(*Conv); ok {
				if s := p.fusableShift(&m.Nodes[i], producer); s >= 0 {
					fuse.readAt[m.Nodes[s].Inputs[0]] = i
				}
			}
		}
		p.concatsInPlace(producer)
		for conv, slot := range p.into {
			cat := m.Nodes[slot.node].Output
			if w, ok := fuse.writeAt[cat]; !ok || conv < w {
				fuse.writeAt[cat] = conv
			}
			fuse.skip[m.Nodes[conv].Output] = true
		}
	}
	p.plan = planMemory(m, fuse)
	if opt.SeparateBuffers {
		for i, t := range m.Tensors {
			p.values[i] = tensor.NewInt8(t.Shape)
		}
	} else {
		arena := make([]int8, p.plan.Size)
		for i, t := range m.Tensors {
			off, n := p.plan.Offsets[i], t.Shape.Elems()
			if fuse.skip[i] {
				n = 0 // written in place into a concatenation
			}
			p.values[i] = &tensor.Int8{Shape: t.Shape, Data: arena[off : off+n : off+n]}
		}
	}
	if opt.Kernels != dispatch.Ref && opt.Threads != 1 {
		p.pool = workers.New(opt.Threads)
		runtime.AddCleanup(p, func(pool *workers.Pool) { pool.Close() }, p.pool)
	}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		run, kind, err := p.kernel(i, n, producer)
		if err != nil {
			return nil, fmt.Errorf("model %s: node %s: %w", m.Name, n.Name, err)
		}
		p.steps = append(p.steps, step{name: n.Name, kind: kind, run: run})
	}
	for i, f := range p.fused { // a fused shift's or concat's work is done by its convolutions
		if f {
			p.steps[i].run = func() {}
			p.steps[i].kind += " (fused)"
		}
	}
	p.logits = make([]float32, len(p.values[m.Output].Data))
	return p, nil
}

// Kernels is the kernel path the program runs.
func (p *Program) Kernels() dispatch.Path { return p.path }

// Multiplier is the requantization multiplier from an accumulator in scale
// num to the output scale den: float32(num / den) computed in float64.
func Multiplier(num, den float64) float32 { return float32(num / den) }

// output makes the q8ref.Output for a tensor with a fused activation.
func output(t Tensor, act nn.Activation, multipliers ...float32) q8ref.Output {
	lo, hi := quant.Clamp(t.Params, act == nn.ActReLU, act == nn.ActReLU6)
	return q8ref.Output{Multipliers: multipliers, Zero: t.Params.Zero, Lo: lo, Hi: hi}
}

func (p *Program) kernel(i int, n *Node, producer []int) (func(), string, error) {
	run, err := p.reference(n)
	if err != nil || p.path == dispatch.Ref {
		return run, n.Op.Kind(), err
	}
	return p.optimized(i, n, producer, run)
}

// reference is the node on the kernels/q8ref reference.
func (p *Program) reference(n *Node) (func(), error) {
	m := p.model
	ins := make([]*tensor.Int8, len(n.Inputs))
	for i, t := range n.Inputs {
		ins[i] = p.values[t]
	}
	in, out := ins[0], p.values[n.Output]
	inT, outT := m.Tensors[n.Inputs[0]], m.Tensors[n.Output]
	sIn, sOut := float64(inT.Params.Scale), float64(outT.Params.Scale)
	perChannel := func(ws []float32) []float32 {
		mult := make([]float32, len(ws))
		for o, w := range ws {
			mult[o] = Multiplier(sIn*float64(w), sOut)
		}
		return mult
	}
	switch op := n.Op.(type) {
	case *Conv:
		o := output(outT, op.Act, perChannel(op.WeightScales)...)
		acc := make([]int32, op.Out)
		zIn := inT.Params.Zero
		return func() { q8ref.Conv2D(out, in, op.Weights, op.Bias, op.Geometry, zIn, o, acc) }, nil
	case *Linear:
		o := output(outT, op.Act, perChannel(op.WeightScales)...)
		return func() { q8ref.Linear(out, in, op.Weights, op.Bias, o) }, nil
	case *Table:
		return func() { q8ref.LookupTable(out.Data, in.Data, &op.Table) }, nil
	case *Add:
		bT := m.Tensors[n.Inputs[1]]
		mA, mB := Multiplier(sIn, sOut), Multiplier(float64(bT.Params.Scale), sOut)
		o, b := output(outT, op.Act), ins[1]
		zA, zB := inT.Params.Zero, bT.Params.Zero
		return func() { q8ref.Add(out.Data, in.Data, b.Data, zA, zB, mA, mB, o) }, nil
	case *MulChannels:
		sT := m.Tensors[n.Inputs[1]]
		o := output(outT, nn.ActNone, Multiplier(sIn*float64(sT.Params.Scale), sOut))
		s, zX, zS := ins[1], inT.Params.Zero, sT.Params.Zero
		return func() { q8ref.MulChannels(out, in, s, zX, zS, o) }, nil
	case *Requant:
		o, zIn := output(outT, nn.ActNone, Multiplier(sIn, sOut)), inT.Params.Zero
		return func() { q8ref.Requant(out.Data, in.Data, zIn, o) }, nil
	case *MaxPool:
		return func() { q8ref.MaxPool(out, in, op.Geometry) }, nil
	case *AvgPool:
		o, zIn := output(outT, nn.ActNone, Multiplier(sIn, sOut)), inT.Params.Zero
		return func() { q8ref.AvgPool(out, in, op.Geometry, zIn, o) }, nil
	case *GlobalAvgPool:
		o, zIn := output(outT, nn.ActNone, Multiplier(sIn, sOut)), inT.Params.Zero
		return func() { q8ref.GlobalAvgPool(out, in, zIn, o) }, nil
	case *Concat:
		return func() { q8ref.Concat(out, ins) }, nil
	case *Shift:
		zero := int8(inT.Params.Zero)
		return func() { q8ref.Shift(out, in, op.Offsets, zero) }, nil
	case *Flatten:
		return func() { q8ref.Flatten(out, in) }, nil
	}
	return nil, fmt.Errorf("no kernel for %T", n.Op)
}

// Model is the model the program runs.
func (p *Program) Model() *Model { return p.model }

// Input is the int8 input tensor; fill it directly (the camera path
// quantizes straight into it) or with QuantizeInput.
func (p *Program) Input() *tensor.Int8 { return p.values[p.model.Input] }

// QuantizeInput quantizes a float NHWC input into the input tensor.
func (p *Program) QuantizeInput(x []float32) error {
	in := p.Input()
	if len(x) != len(in.Data) {
		return fmt.Errorf("model %s: input has %d values, want %d (%v)", p.model.Name, len(x), len(in.Data), in.Shape)
	}
	params := p.model.Tensors[p.model.Input].Params
	for i, v := range x {
		in.Data[i] = params.Quantize(v)
	}
	return nil
}

// Run executes every node.
func (p *Program) Run() {
	for i := range p.steps {
		p.steps[i].run()
	}
}

// RunProfiled executes every node like Run and adds each step's wall time
// to d (one entry per step, see Steps).
func (p *Program) RunProfiled(d []time.Duration) {
	for i := range p.steps {
		t0 := time.Now()
		p.steps[i].run()
		d[i] += time.Since(t0)
	}
}

// Threads is how many cores the program's big layers are split over.
func (p *Program) Threads() int { return p.pool.Threads() }

// Memory is the activation arena's plan: the peak activation memory is
// Memory().Size bytes (Total with a buffer per tensor).
func (p *Program) Memory() Plan { return p.plan }

// Close stops the program's worker threads now rather than when the
// program is garbage collected. The program must not run afterwards.
func (p *Program) Close() { p.pool.Close() }

// Logits dequantizes the output tensor into float32 (valid until the next
// call).
func (p *Program) Logits() []float32 {
	params := p.model.Tensors[p.model.Output].Params
	for i, q := range p.values[p.model.Output].Data {
		p.logits[i] = params.Dequantize(q)
	}
	return p.logits
}

// Value is tensor i after Run (for comparing with the float model). In
// the planned arena a tensor's bytes are reused once it is dead, and a
// shift fused into its convolution is never written: compile with
// SeparateBuffers on the reference path to see every tensor.
func (p *Program) Value(i int) *tensor.Int8 { return p.values[i] }

// StepInfo names one step of a program and the kernel that runs it, e.g.
// "conv2d [neondot]" or "shift (fused)".
type StepInfo struct{ Name, Kernel string }

// Steps lists the program's steps in execution order.
func (p *Program) Steps() []StepInfo {
	s := make([]StepInfo, len(p.steps))
	for i, st := range p.steps {
		s[i] = StepInfo{Name: st.name, Kernel: st.kind}
	}
	return s
}
