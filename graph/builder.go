package graph

import (
	"fmt"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Builder assembles a Graph op by op, inferring and checking shapes as it
// goes. The first error stops the build and is returned by Finish, so model
// code can chain calls without checking each one.
type Builder struct {
	g   *Graph
	err error
}

// NewBuilder starts a graph named name whose input has the given shape.
func NewBuilder(name string, input tensor.Shape) *Builder {
	g := &Graph{Name: name, Input: 0, Shapes: []tensor.Shape{input}}
	b := &Builder{g: g}
	if !input.Valid() {
		b.err = fmt.Errorf("graph %s: invalid input shape %v", name, input)
	}
	return b
}

// Input is the graph's input value.
func (b *Builder) Input() Value { return b.g.Input }

// Shape is the inferred shape of v.
func (b *Builder) Shape(v Value) tensor.Shape { return b.g.Shapes[v] }

// Finish returns the graph computing out, or the first error met.
func (b *Builder) Finish(out Value) (*Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	b.g.Output = out
	if err := b.g.Validate(); err != nil {
		return nil, err
	}
	return b.g, nil
}

// Param registers a new named parameter filled with zeros.
func (b *Builder) Param(name string, trainable bool, shape ...int) *Param {
	p := &Param{Name: name, Shape: shape, Trainable: trainable}
	p.Data = make([]float32, p.Elems())
	b.g.Params = append(b.g.Params, p)
	return p
}

// add appends a node, inferring its output shape.
func (b *Builder) add(name string, op Op, inputs ...Value) Value {
	if b.err != nil {
		return 0
	}
	shapes := make([]tensor.Shape, len(inputs))
	for i, v := range inputs {
		shapes[i] = b.g.Shapes[v]
	}
	s, err := op.OutShape(shapes)
	if err != nil {
		b.err = fmt.Errorf("graph %s: %s %s: %w", b.g.Name, op.Type(), name, err)
		return 0
	}
	out := Value(len(b.g.Shapes))
	b.g.Shapes = append(b.g.Shapes, s)
	b.g.Nodes = append(b.g.Nodes, &Node{Name: name, Op: op, Inputs: inputs, Output: out})
	return out
}

// ConvSpec gives a convolution's hyper-parameters as PyTorch's Conv2d does;
// zero Stride, Dilation and Groups mean 1. Same asks for TensorFlow's
// "SAME" padding (nn.SamePadding), computed from the input size, instead
// of Pad.
type ConvSpec struct {
	Out, Kernel, Stride, Pad, Dilation, Groups int
	Bias, Same                                 bool
}

// Conv adds a Conv2d module named name (parameters name.weight and,
// with Bias, name.bias).
func (b *Builder) Conv(name string, x Value, c ConvSpec) Value {
	if b.err != nil {
		return 0
	}
	c.Stride, c.Dilation, c.Groups = max(c.Stride, 1), max(c.Dilation, 1), max(c.Groups, 1)
	in := b.g.Shapes[x]
	if in.C%c.Groups != 0 {
		b.err = fmt.Errorf("graph %s: conv2d %s: %d input channels do not split into %d groups", b.g.Name, name, in.C, c.Groups)
		return 0
	}
	if c.Same && c.Pad != 0 {
		b.err = fmt.Errorf("graph %s: conv2d %s: padding %d and SAME padding: give one", b.g.Name, name, c.Pad)
		return 0
	}
	op := &Conv2D{
		Geometry: nn.ConvGeometry{
			KH: c.Kernel, KW: c.Kernel, StrideH: c.Stride, StrideW: c.Stride,
			PadH: c.Pad, PadW: c.Pad, DilH: c.Dilation, DilW: c.Dilation, Groups: c.Groups,
		},
		Out:    c.Out,
		Weight: b.Param(name+".weight", true, c.Out, in.C/c.Groups, c.Kernel, c.Kernel),
	}
	if c.Same {
		op.Geometry = op.Geometry.WithSamePadding(in.H, in.W)
	}
	if c.Bias {
		op.Bias = b.Param(name+".bias", true, c.Out)
	}
	return b.add(name, op, x)
}

// BatchNorm adds a BatchNorm2d module named name with PyTorch's five
// state_dict entries.
func (b *Builder) BatchNorm(name string, x Value, eps float32) Value {
	if b.err != nil {
		return 0
	}
	c := b.g.Shapes[x].C
	op := &BatchNorm{
		Weight: b.Param(name+".weight", true, c),
		Bias:   b.Param(name+".bias", true, c),
		Mean:   b.Param(name+".running_mean", false, c),
		Var:    b.Param(name+".running_var", false, c),
		Count:  b.Param(name+".num_batches_tracked", false),
		Eps:    eps,
	}
	for i := range op.Weight.Data {
		op.Weight.Data[i], op.Var.Data[i] = 1, 1
	}
	return b.add(name, op, x)
}

// Act adds an element-wise activation.
func (b *Builder) Act(name string, x Value, fn nn.Activation) Value {
	return b.add(name, &Activation{Fn: fn}, x)
}

// MaxPool adds a max pooling with a square window.
func (b *Builder) MaxPool(name string, x Value, kernel, stride, pad int, ceil bool) Value {
	return b.add(name, &MaxPool{Geometry: square(kernel, stride, pad, ceil, false)}, x)
}

// AvgPool adds an average pooling with a square window.
func (b *Builder) AvgPool(name string, x Value, kernel, stride, pad int, ceil, countIncludePad bool) Value {
	return b.add(name, &AvgPool{Geometry: square(kernel, stride, pad, ceil, countIncludePad)}, x)
}

func square(kernel, stride, pad int, ceil, countPad bool) nn.PoolGeometry {
	return nn.PoolGeometry{KH: kernel, KW: kernel, StrideH: stride, StrideW: stride,
		PadH: pad, PadW: pad, CeilMode: ceil, CountIncludePad: countPad}
}

// GlobalAvgPool adds AdaptiveAvgPool2d(1).
func (b *Builder) GlobalAvgPool(name string, x Value) Value {
	return b.add(name, &GlobalAvgPool{}, x)
}

// Concat adds a channel concatenation of xs, in order.
func (b *Builder) Concat(name string, xs ...Value) Value { return b.add(name, &Concat{}, xs...) }

// Add adds a residual sum.
func (b *Builder) Add(name string, x, y Value) Value { return b.add(name, &Add{}, x, y) }

// MulChannels adds a per-channel rescaling of x by scale ([N,1,1,C]).
func (b *Builder) MulChannels(name string, x, scale Value) Value {
	return b.add(name, &MulChannels{}, x, scale)
}

// Shift adds a channel shift with one offset per channel.
func (b *Builder) Shift(name string, x Value, offsets []nn.Offset) Value {
	return b.add(name, &Shift{Offsets: offsets}, x)
}

// Linear adds a Linear module named name on a flat input.
func (b *Builder) Linear(name string, x Value, out int, bias bool) Value {
	if b.err != nil {
		return 0
	}
	op := &Linear{Out: out, Weight: b.Param(name+".weight", true, out, b.g.Shapes[x].C)}
	if bias {
		op.Bias = b.Param(name+".bias", true, out)
	}
	return b.add(name, op, x)
}

// Flatten adds torch.flatten(x, 1).
func (b *Builder) Flatten(name string, x Value) Value { return b.add(name, &Flatten{}, x) }

// Softmax adds a softmax over channels of a flat input.
func (b *Builder) Softmax(name string, x Value) Value { return b.add(name, &Softmax{}, x) }
