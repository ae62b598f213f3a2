package engine

import (
	"math"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
)

// Options tunes compilation.
type Options struct {
	// Batch is the number of images per Run; 0 means the graph's own.
	Batch int
	// NoFold keeps batch norms and activations as separate steps, which is
	// slower but lets tests check that folding changes nothing.
	NoFold bool
	// FuseClampsOnly fuses only ReLU and ReLU6, the activations an int8
	// kernel applies as the clamp of its output; SiLU and sigmoid stay
	// separate layers so that calibration sees their inputs, which int8
	// models quantize before a lookup table.
	FuseClampsOnly bool
}

// Layer is one step of a compiled model: a graph node, possibly with a
// batch norm and an activation folded into it. Layers are what the int8
// quantizer converts, one int8 op per layer.
type Layer struct {
	Node   *graph.Node // the graph node the layer was made from
	Kind   string      // op type after lowering, e.g. "conv2d+bn+relu"
	Inputs []graph.Value
	Output graph.Value

	// Convolution and linear layers: PyTorch-layout weights and a bias that
	// folding may have rewritten (always allocated, zero if the op had none).
	Weight, Bias []float32
	// Per-channel affine (an unfolded batch norm): y = x*Scale[c] + Shift[c].
	Scale, Shift []float32
	// Act is applied to the layer's output.
	Act nn.Activation

	packed []float32 // convolution weights in the kernel's layout, made once
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
	return newProgram(g, shapes, Lower(g, opt))
}

// Lower turns graph nodes into layers, folding batch norms and activations
// into the op that produces their input when nothing else reads it. The
// graph is not modified.
func Lower(g *graph.Graph, opt Options) []*Layer {
	readers := g.Consumers()
	producer := make(map[graph.Value]*Layer)
	var steps []*Layer
	// absorbable returns the step producing v if a per-channel op on v can
	// be merged into it: v is read once and not yet activated.
	absorbable := func(v graph.Value) *Layer {
		p := producer[v]
		if opt.NoFold || p == nil || readers[v] != 1 || p.Act != nn.ActNone {
			return nil
		}
		return p
	}
	for _, n := range g.Nodes {
		s := &Layer{Node: n, Kind: n.Op.Type(), Inputs: n.Inputs, Output: n.Output}
		switch op := n.Op.(type) {
		case *graph.Conv2D:
			s.Weight, s.Bias = copyWeights(op.Weight, op.Bias, op.Out)
			s.Act = op.Act
		case *graph.Linear:
			s.Weight, s.Bias = copyWeights(op.Weight, op.Bias, op.Out)
			s.Act = op.Act
		case *graph.Add:
			s.Act = op.Act
		case *graph.BatchNorm:
			scale, shift := batchNormAffine(op)
			if p := absorbable(n.Inputs[0]); p != nil && p.Node.Op.Type() == "conv2d" {
				foldAffine(p, scale, shift)
				p.Kind += "+bn"
				p.Output = n.Output
				producer[n.Output] = p
				continue
			}
			s.Kind, s.Scale, s.Shift = "affine", scale, shift
		case *graph.Activation:
			clamp := op.Fn == nn.ActReLU || op.Fn == nn.ActReLU6
			if p := absorbable(n.Inputs[0]); p != nil && fusesActivation(p) && (clamp || !opt.FuseClampsOnly) {
				p.Act = op.Fn
				p.Kind += "+" + op.Fn.String()
				p.Output = n.Output
				producer[n.Output] = p
				continue
			}
			s.Act = op.Fn
		}
		producer[n.Output] = s
		steps = append(steps, s)
	}
	return steps
}

// fusesActivation reports whether a step can apply an activation to its
// own output.
func fusesActivation(s *Layer) bool {
	switch s.Node.Op.(type) {
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
func foldAffine(conv *Layer, scale, shift []float32) {
	perOut := len(conv.Weight) / len(conv.Bias)
	for o := range conv.Bias {
		w := conv.Weight[o*perOut : (o+1)*perOut]
		for i := range w {
			w[i] = float32(float64(w[i]) * float64(scale[o]))
		}
		conv.Bias[o] = float32(float64(conv.Bias[o])*float64(scale[o]) + float64(shift[o]))
	}
}
