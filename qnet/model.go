package qnet

import (
	"fmt"
	"math"

	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Tensor is one int8 activation tensor of a model.
type Tensor struct {
	Name   string // the layer that writes it ("input" for the input)
	Shape  tensor.Shape
	Params quant.Params
}

// Node applies Op to the Inputs tensors and writes Output.
type Node struct {
	Name   string
	Op     Op
	Inputs []int
	Output int
}

// Model is a complete int8 model.
type Model struct {
	Name          string // the zoo model it was made from, e.g. "squeezenet1_1"
	Tensors       []Tensor
	Nodes         []Node
	Input, Output int
	Labels        []string
	Preprocess    preprocess.Spec
	// Calibration says how activation ranges were chosen, for people.
	Calibration string
}

// Validate checks that the model is consistent, for a model from any
// source (a file, quant/ptq, a test): tensor shapes and parameters within
// the limits that keep every computation inside int32 on 32-bit builds as
// on 64-bit ones, indices in range, nodes reading tensors written before
// them, every op's fields fitting its tensors (Op.check), and the
// preprocessing and labels fitting the input and output. A model that
// passes compiles and runs without out-of-bounds access. It is the one
// validation: Compile and package modelfile (on writing and reading) call
// it.
func (m *Model) Validate() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("model %s: %w", m.Name, err)
	}
	return nil
}

func (m *Model) validate() error {
	nt, total := len(m.Tensors), 0
	for i, t := range m.Tensors {
		if err := checkTensor(t); err != nil {
			return fmt.Errorf("tensor %d (%s): %w", i, t.Name, err)
		}
		// As the arena lays them out, Align-byte aligned. Each term is at
		// most 2^28 and the sum stops past 2^30: no overflow on 32 bits.
		if total += (t.Shape.Elems() + Align - 1) / Align * Align; total > maxActivations {
			return fmt.Errorf("tensor %d (%s): shape %v: the tensors up to it hold %d values, more than the %d allowed in all", i, t.Name, t.Shape, total, maxActivations)
		}
	}
	if !inRange(m.Input, 0, nt-1) || !inRange(m.Output, 0, nt-1) {
		return fmt.Errorf("input %d or output %d out of range (%d tensors)", m.Input, m.Output, nt)
	}
	written := make([]bool, nt)
	written[m.Input] = true
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if err := m.checkNode(n, written); err != nil {
			return fmt.Errorf("node %d (%s): %w", i, n.Name, err)
		}
		written[n.Output] = true
	}
	if !written[m.Output] {
		return fmt.Errorf("output tensor %d is never written", m.Output)
	}
	if err := m.checkPreprocess(); err != nil {
		return err
	}
	if out := m.Tensors[m.Output].Shape; len(m.Labels) > 0 && len(m.Labels) != out.C {
		return fmt.Errorf("labels: %d names for %d output channels", len(m.Labels), out.C)
	}
	return nil
}

// checkNode checks that n reads tensors written before it and writes a new
// one, then its op.
func (m *Model) checkNode(n *Node, written []bool) error {
	if n.Op == nil {
		return fmt.Errorf("no op")
	}
	for _, in := range n.Inputs {
		if !inRange(in, 0, len(m.Tensors)-1) || !written[in] {
			return fmt.Errorf("reads tensor %d before it is written", in)
		}
	}
	if !inRange(n.Output, 0, len(m.Tensors)-1) || written[n.Output] {
		return fmt.Errorf("writes tensor %d twice or out of range", n.Output)
	}
	return n.Op.check(m, n)
}

// checkPreprocess checks the spec, unless it is the zero Spec (a model
// without preprocessing, e.g. a test model fed tensors directly).
func (m *Model) checkPreprocess() error {
	s := m.Preprocess
	if s == (preprocess.Spec{}) {
		return nil
	}
	if !inRange(s.Resize, 0, maxWindow*4) || !inRange(s.CropH, 1, maxWindow*4) || !inRange(s.CropW, 1, maxWindow*4) {
		return fmt.Errorf("preprocess: resize %d, crop %dx%d: want sizes up to %d", s.Resize, s.CropH, s.CropW, maxWindow*4)
	}
	for c := range 3 {
		if f := float64(s.Mean[c]); math.IsNaN(f) || math.IsInf(f, 0) || !finitePositive(s.Std[c]) {
			return fmt.Errorf("preprocess: mean %v, std %v: want finite means and positive stds", s.Mean, s.Std)
		}
	}
	in := m.Tensors[m.Input].Shape
	if in.N != 1 || in.H != s.CropH || in.W != s.CropW || in.C != 3 {
		return fmt.Errorf("preprocess: crop %dx%d RGB does not fill input tensor %v", s.CropH, s.CropW, in)
	}
	return nil
}

// NodeMACs counts a node's multiply-accumulates as graph.NodeMACs does
// for the float op: convolutions and fully connected layers, each weight
// once per output pixel; other ops count none.
func NodeMACs(m *Model, n *Node) int64 {
	if op, ok := n.Op.(macCounter); ok {
		return op.macs(m, n)
	}
	return 0
}
