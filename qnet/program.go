package qnet

import (
	"fmt"
	"runtime"
	"time"

	"neonet.dev/neonet/internal/workers"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

// Program is a compiled int8 model. It is not safe for concurrent use;
// compile one per goroutine (weights are shared with the Model).
type Program struct {
	model    *Model
	path     dispatch.Path
	ks       *q8.Kernels // the path's microkernels; nil on the reference path
	values   []*tensor.Int8
	steps    []step
	logits   []float32
	readers  []int // how many nodes read each tensor (the output counts once more)
	producer []int // the node that writes each tensor, -1 for the input
	fused    []bool
	pool     *workers.Pool
	plan     Plan
	permOut  map[int][]int      // conv node -> output channel order (see shiftOrders)
	permIn   map[int][]int      // conv node fused with a shift -> input channel order
	into     map[int]concatSlot // conv node -> where it writes in a concatenation
}

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
	ks, err := dispatch.Q8Kernels(opt.Kernels)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	p := newProgram(m, opt.Kernels)
	p.ks = ks
	fuse := p.planFusion()
	p.plan = planMemory(m, fuse)
	p.allocate(opt.SeparateBuffers, fuse.skip)
	if opt.Kernels != dispatch.Ref && opt.Threads != 1 {
		p.pool = workers.New(opt.Threads)
		runtime.AddCleanup(p, func(pool *workers.Pool) { pool.Close() }, p.pool)
	}
	if err := p.prepareSteps(); err != nil {
		return nil, err
	}
	p.logits = make([]float32, len(p.values[m.Output].Data))
	return p, nil
}

// newProgram is a program for m with its graph's bookkeeping: who reads
// and who writes each tensor.
func newProgram(m *Model, path dispatch.Path) *Program {
	p := &Program{model: m, path: path, values: make([]*tensor.Int8, len(m.Tensors)),
		readers: make([]int, len(m.Tensors)), producer: make([]int, len(m.Tensors)), fused: make([]bool, len(m.Nodes))}
	for _, n := range m.Nodes {
		for _, t := range n.Inputs {
			p.readers[t]++
		}
	}
	p.readers[m.Output]++
	for i := range p.producer {
		p.producer[i] = -1
	}
	for i, n := range m.Nodes {
		p.producer[n.Output] = i
	}
	return p
}

// allocate gives every tensor its bytes: its place in the planned arena,
// none if it is skipped (written in place into a concatenation), or a
// buffer of its own with separate.
func (p *Program) allocate(separate bool, skip map[int]bool) {
	m := p.model
	if separate {
		for i, t := range m.Tensors {
			p.values[i] = tensor.NewInt8(t.Shape)
		}
		return
	}
	arena := make([]int8, p.plan.Size)
	for i, t := range m.Tensors {
		off, n := p.plan.Offsets[i], t.Shape.Elems()
		if skip[i] {
			n = 0
		}
		p.values[i] = &tensor.Int8{Shape: t.Shape, Data: arena[off : off+n : off+n]}
	}
}

// prepareSteps has every node's op prepare its step on the program's
// path: the reference step, and on an optimized path the optimized one.
func (p *Program) prepareSteps() error {
	m := p.model
	for i := range m.Nodes {
		n := &m.Nodes[i]
		e := p.nodeEnv(i)
		run, err := n.Op.reference(e)
		kind := n.Op.Kind()
		if err == nil && p.path != dispatch.Ref {
			if op, ok := n.Op.(optimizer); ok {
				run, kind, err = op.optimized(e, run)
			} else {
				run, kind, err = e.keepReference(run)
			}
		}
		if err != nil {
			return fmt.Errorf("model %s: node %s: %w", m.Name, n.Name, err)
		}
		p.steps = append(p.steps, step{name: n.Name, kind: kind, run: run})
	}
	for i, f := range p.fused { // a fused shift's or concat's work is done by its convolutions
		if f {
			p.steps[i].run = func() {}
			p.steps[i].kind += " (fused)"
		}
	}
	return nil
}

// Kernels is the kernel path the program runs.
func (p *Program) Kernels() dispatch.Path { return p.path }

// Multiplier is the requantization multiplier from an accumulator in scale
// num to the output scale den: float32(num / den) computed in float64.
func Multiplier(num, den float64) float32 { return float32(num / den) }

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

// Run executes every node. The worker threads spin between the layers
// and park at the end: a program between inferences costs no CPU time.
func (p *Program) Run() {
	for i := range p.steps {
		p.steps[i].run()
	}
	p.pool.Rest()
}

// RunProfiled executes every node like Run and adds each step's wall time
// to d (one entry per step, see Steps).
func (p *Program) RunProfiled(d []time.Duration) {
	for i := range p.steps {
		t0 := time.Now()
		p.steps[i].run()
		d[i] += time.Since(t0)
	}
	p.pool.Rest()
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
