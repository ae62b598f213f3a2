package graph

import (
	"fmt"
	"math"
	"math/rand/v2"

	"neonet.dev/neonet/tensor"
)

// Value identifies a tensor produced while running a graph: the input or the
// output of one node.
type Value int

// Param is one named array of a model, as it appears in a PyTorch
// state_dict.
type Param struct {
	Name  string    // the state_dict key, e.g. "features.0.weight"
	Shape []int     // PyTorch's shape; [] for a scalar
	Data  []float32 // row-major, len = product of Shape
	// Trainable is false for buffers such as batch norm running statistics:
	// they are saved in checkpoints but are not listed as parameters.
	Trainable bool
}

// Elems is the number of values of the parameter.
func (p *Param) Elems() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Op is one operation of a graph. Concrete ops are the types in ops.go.
type Op interface {
	// Type names the kind of op in listings, e.g. "conv2d".
	Type() string
	// OutShape checks the input shapes and returns the output shape.
	OutShape(in []tensor.Shape) (tensor.Shape, error)
}

// Node applies Op to Inputs and produces Output.
type Node struct {
	Name   string // the module path in the reference model, e.g. "features.3.squeeze"
	Op     Op
	Inputs []Value
	Output Value
}

// Graph is a model: nodes in execution order, from Input to Output.
type Graph struct {
	Name   string
	Input  Value
	Output Value
	Nodes  []*Node
	// Params in registration order, which is PyTorch's named_parameters()
	// / state_dict() order for the models neonet builds.
	Params []*Param
	// Shapes[v] is the shape of value v for the graph's input shape.
	Shapes []tensor.Shape
}

// InputShape is the shape the graph was built for.
func (g *Graph) InputShape() tensor.Shape { return g.Shapes[g.Input] }

// OutputShape is the shape of the graph's result.
func (g *Graph) OutputShape() tensor.Shape { return g.Shapes[g.Output] }

// Param returns the parameter with the given state_dict name.
func (g *Graph) Param(name string) (*Param, bool) {
	for _, p := range g.Params {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// TrainableParams counts the values of all trainable parameters, the figure
// PyTorch users compute as sum(p.numel() for p in model.parameters()).
func (g *Graph) TrainableParams() int {
	n := 0
	for _, p := range g.Params {
		if p.Trainable {
			n += p.Elems()
		}
	}
	return n
}

// ShapesFor infers every value's shape for another input shape, for example
// a different batch size or resolution.
func (g *Graph) ShapesFor(input tensor.Shape) ([]tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(g.Shapes))
	shapes[g.Input] = input
	ins := make([]tensor.Shape, 0, 4)
	for _, n := range g.Nodes {
		ins = ins[:0]
		for _, v := range n.Inputs {
			ins = append(ins, shapes[v])
		}
		s, err := n.Op.OutShape(ins)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", n.Op.Type(), n.Name, err)
		}
		shapes[n.Output] = s
	}
	return shapes, nil
}

// MACs counts the multiply-accumulates of one inference at the graph's
// input shape (convolutions and fully connected layers).
func (g *Graph) MACs() int64 {
	var total int64
	for _, n := range g.Nodes {
		total += NodeMACs(g, n)
	}
	return total
}

// NodeMACs counts the multiply-accumulates of one node.
func NodeMACs(g *Graph, n *Node) int64 {
	ins := make([]tensor.Shape, len(n.Inputs))
	for i, v := range n.Inputs {
		ins[i] = g.Shapes[v]
	}
	return OpMACs(n.Op, ins, g.Shapes[n.Output])
}

// OpMACs counts the multiply-accumulates of op for the given shapes:
// convolutions and fully connected layers; everything else counts zero.
func OpMACs(op Op, in []tensor.Shape, out tensor.Shape) int64 {
	switch op := op.(type) {
	case *Conv2D:
		g := op.Geometry
		return int64(out.Elems()) * int64(in[0].C/g.Groups*g.KH*g.KW)
	case *Linear:
		return int64(out.Elems()) * int64(in[0].C)
	}
	return 0
}

// Consumers counts, for every value, the nodes that read it; the graph's
// output counts as one more reader.
func (g *Graph) Consumers() []int {
	count := make([]int, len(g.Shapes))
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			count[v]++
		}
	}
	count[g.Output]++
	return count
}

// Randomize fills every parameter with seeded values of realistic scale:
// He-normal convolution and linear weights, small biases, and batch norms
// that are close to the identity. It gives benchmarks and tests a model to
// run without a checkpoint; the same seed always gives the same values.
func (g *Graph) Randomize(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x6e656f6e6574))
	for _, n := range g.Nodes {
		switch op := n.Op.(type) {
		case *Conv2D:
			fanIn := op.Weight.Elems() / op.Weight.Shape[0]
			heNormal(rng, op.Weight.Data, fanIn)
			if op.Bias != nil {
				uniform(rng, op.Bias.Data, -0.1, 0.1)
			}
		case *Linear:
			heNormal(rng, op.Weight.Data, op.Weight.Shape[1])
			if op.Bias != nil {
				uniform(rng, op.Bias.Data, -0.1, 0.1)
			}
		case *BatchNorm:
			uniform(rng, op.Weight.Data, 0.5, 1.5)
			uniform(rng, op.Bias.Data, -0.1, 0.1)
			uniform(rng, op.Mean.Data, -0.1, 0.1)
			uniform(rng, op.Var.Data, 0.5, 1.5)
		}
	}
}

func heNormal(rng *rand.Rand, w []float32, fanIn int) {
	std := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * std)
	}
}

func uniform(rng *rand.Rand, w []float32, lo, hi float64) {
	for i := range w {
		w[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

// Validate checks the graph's internal consistency: every node reads values
// produced before it and writes a fresh value, and parameter data matches
// parameter shapes. Builders produce valid graphs; this guards hand-made
// or decoded ones.
func (g *Graph) Validate() error {
	defined := make([]bool, len(g.Shapes))
	if int(g.Input) >= len(defined) || g.Input < 0 {
		return fmt.Errorf("graph %s: input value %d out of range", g.Name, g.Input)
	}
	defined[g.Input] = true
	for i, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v < 0 || int(v) >= len(defined) || !defined[v] {
				return fmt.Errorf("graph %s: node %d (%s) reads value %d before it is produced", g.Name, i, n.Name, v)
			}
		}
		if n.Output < 0 || int(n.Output) >= len(defined) || defined[n.Output] {
			return fmt.Errorf("graph %s: node %d (%s) writes value %d twice or out of range", g.Name, i, n.Name, n.Output)
		}
		defined[n.Output] = true
	}
	if g.Output < 0 || int(g.Output) >= len(defined) || !defined[g.Output] {
		return fmt.Errorf("graph %s: output value %d is never produced", g.Name, g.Output)
	}
	names := make(map[string]bool, len(g.Params))
	for _, p := range g.Params {
		if names[p.Name] {
			return fmt.Errorf("graph %s: parameter %s registered twice", g.Name, p.Name)
		}
		names[p.Name] = true
		if len(p.Data) != p.Elems() {
			return fmt.Errorf("graph %s: parameter %s has %d values, shape %v needs %d", g.Name, p.Name, len(p.Data), p.Shape, p.Elems())
		}
	}
	return nil
}
