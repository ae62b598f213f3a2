package engine

import (
	"math"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels"
)

// Options tunes compilation.
type Options struct {
	// Batch is the number of images per Run; 0 means the graph's own.
	Batch int
	// NoFold keeps batch norms and activations as separate steps, which is
	// slower but lets tests check that folding changes nothing.
	NoFold bool
}

// lowered is one step of a Program before buffers are assigned: a graph
// node, possibly with a batch norm and an activation folded into it.
type lowered struct {
	node   *graph.Node
	kind   string // op type after lowering, e.g. "conv2d+bn+relu"
	inputs []graph.Value
	output graph.Value

	// Convolution and linear layers: PyTorch-layout weights and a bias that
	// folding may have rewritten (always allocated, zero if the op had none).
	weight, bias []float32
	// Per-channel affine (an unfolded batch norm).
	scale, shift []float32
	act          kernels.Activation
}

// Compile lowers g into a Program ready to run.
func Compile(g *graph.Graph, opt Options) (*Program, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	shapes := g.Shapes
	if opt.Batch > 0 && opt.Batch != g.InputShape().N {
		in := g.InputShape()
		in.N = opt.Batch
		var err error
		if shapes, err = g.ShapesFor(in); err != nil {
			return nil, err
		}
	}
	steps := lower(g, opt.NoFold)
	return newProgram(g, shapes, steps)
}

// lower turns graph nodes into steps, folding batch norms and activations
// into the op that produces their input when nothing else reads it.
func lower(g *graph.Graph, noFold bool) []*lowered {
	readers := g.Consumers()
	producer := make(map[graph.Value]*lowered)
	var steps []*lowered
	// absorbable returns the step producing v if a per-channel op on v can
	// be merged into it: v is read once and not yet activated.
	absorbable := func(v graph.Value) *lowered {
		p := producer[v]
		if noFold || p == nil || readers[v] != 1 || p.act != kernels.ActNone {
			return nil
		}
		return p
	}
	for _, n := range g.Nodes {
		s := &lowered{node: n, kind: n.Op.Type(), inputs: n.Inputs, output: n.Output}
		switch op := n.Op.(type) {
		case *graph.Conv2D:
			s.weight, s.bias = copyWeights(op.Weight, op.Bias, op.Out)
			s.act = op.Act
		case *graph.Linear:
			s.weight, s.bias = copyWeights(op.Weight, op.Bias, op.Out)
			s.act = op.Act
		case *graph.Add:
			s.act = op.Act
		case *graph.BatchNorm:
			scale, shift := batchNormAffine(op)
			if p := absorbable(n.Inputs[0]); p != nil && p.node.Op.Type() == "conv2d" {
				foldAffine(p, scale, shift)
				p.kind += "+bn"
				p.output = n.Output
				producer[n.Output] = p
				continue
			}
			s.kind, s.scale, s.shift = "affine", scale, shift
		case *graph.Activation:
			if p := absorbable(n.Inputs[0]); p != nil && fusesActivation(p) {
				p.act = op.Fn
				p.kind += "+" + op.Fn.String()
				p.output = n.Output
				producer[n.Output] = p
				continue
			}
			s.act = op.Fn
		}
		producer[n.Output] = s
		steps = append(steps, s)
	}
	return steps
}

// fusesActivation reports whether a step can apply an activation to its
// own output.
func fusesActivation(s *lowered) bool {
	switch s.node.Op.(type) {
	case *graph.Conv2D, *graph.Linear, *graph.Add, *graph.BatchNorm:
		return true
	}
	return false
}

func copyWeights(w, b *graph.Param, out int) (weight, bias []float32) {
	weight = append([]float32(nil), w.Data...)
	bias = make([]float32, out)
	if b != nil {
		copy(bias, b.Data)
	}
	return weight, bias
}

// batchNormAffine rewrites a batch norm as y = x*scale + shift.
func batchNormAffine(bn *graph.BatchNorm) (scale, shift []float32) {
	c := len(bn.Weight.Data)
	scale, shift = make([]float32, c), make([]float32, c)
	for i := range c {
		s := float64(bn.Weight.Data[i]) / math.Sqrt(float64(bn.Var.Data[i])+float64(bn.Eps))
		scale[i] = float32(s)
		shift[i] = float32(float64(bn.Bias.Data[i]) - float64(bn.Mean.Data[i])*s)
	}
	return scale, shift
}

// foldAffine multiplies a convolution's output channel o by scale[o] and
// adds shift[o], by rewriting its weights and bias.
func foldAffine(conv *lowered, scale, shift []float32) {
	perOut := len(conv.weight) / len(conv.bias)
	for o := range conv.bias {
		w := conv.weight[o*perOut : (o+1)*perOut]
		for i := range w {
			w[i] = float32(float64(w[i]) * float64(scale[o]))
		}
		conv.bias[o] = float32(float64(conv.bias[o])*float64(scale[o]) + float64(shift[o]))
	}
}
