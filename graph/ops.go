package graph

import (
	"fmt"
	"slices"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Conv2D is PyTorch's Conv2d: Weight is [Out][Cin/groups][KH][KW], Bias is
// [Out] or nil. Act is applied to the result (the compiler fuses a
// following activation into it; builders leave it ActNone).
type Conv2D struct {
	Geometry nn.ConvGeometry
	Out      int
	Weight   *Param
	Bias     *Param
	Act      nn.Activation
}

// BatchNorm is PyTorch's BatchNorm2d at inference:
// y = (x - Mean) / sqrt(Var + Eps) * Weight + Bias, per channel.
type BatchNorm struct {
	Weight, Bias, Mean, Var *Param
	// Count is num_batches_tracked: saved in checkpoints, unused here.
	Count *Param
	Eps   float32
}

// Activation applies an element-wise function.
type Activation struct{ Fn nn.Activation }

// MaxPool is PyTorch's MaxPool2d.
type MaxPool struct{ Geometry nn.PoolGeometry }

// AvgPool is PyTorch's AvgPool2d.
type AvgPool struct{ Geometry nn.PoolGeometry }

// GlobalAvgPool is PyTorch's AdaptiveAvgPool2d(1): [N,H,W,C] -> [N,1,1,C].
type GlobalAvgPool struct{}

// Concat joins its inputs along channels (torch.cat(dim=1) in NCHW).
type Concat struct{}

// Add sums two tensors of the same shape (a residual connection).
type Add struct{ Act nn.Activation }

// MulChannels multiplies a [N,H,W,C] tensor by a [N,1,1,C] one, channel by
// channel (squeeze-and-excitation's rescaling).
type MulChannels struct{}

// Shift moves each channel by its own offset, filling with zeros: the
// zero-FLOP, zero-parameter spatial op of ShiftNet.
type Shift struct{ Offsets []nn.Offset }

// Linear is PyTorch's Linear on [N,1,1,In]: Weight is [Out][In].
type Linear struct {
	Out    int
	Weight *Param
	Bias   *Param
	Act    nn.Activation
}

// Flatten is torch.flatten(x, 1): [N,H,W,C] -> [N,1,1,C*H*W] in NCHW order.
type Flatten struct{}

// Softmax normalises [N,1,1,C] scores into probabilities.
type Softmax struct{}

func (*Conv2D) Type() string        { return "conv2d" }
func (*BatchNorm) Type() string     { return "batchnorm" }
func (a *Activation) Type() string  { return a.Fn.String() }
func (*MaxPool) Type() string       { return "maxpool" }
func (*AvgPool) Type() string       { return "avgpool" }
func (*GlobalAvgPool) Type() string { return "globalavgpool" }
func (*Concat) Type() string        { return "concat" }
func (*Add) Type() string           { return "add" }
func (*MulChannels) Type() string   { return "mul" }
func (*Shift) Type() string         { return "shift" }
func (*Linear) Type() string        { return "linear" }
func (*Flatten) Type() string       { return "flatten" }
func (*Softmax) Type() string       { return "softmax" }

func wantInputs(in []tensor.Shape, n int) error {
	if len(in) != n {
		return fmt.Errorf("takes %d inputs, got %d", n, len(in))
	}
	return nil
}

func (op *Conv2D) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	g, s := op.Geometry, in[0]
	if g.Groups < 1 || s.C%g.Groups != 0 || op.Out%g.Groups != 0 {
		return tensor.Shape{}, fmt.Errorf("%d input and %d output channels do not split into %d groups", s.C, op.Out, g.Groups)
	}
	if want := []int{op.Out, s.C / g.Groups, g.KH, g.KW}; !slices.Equal(op.Weight.Shape, want) {
		return tensor.Shape{}, fmt.Errorf("weight %s is %v, input needs %v", op.Weight.Name, op.Weight.Shape, want)
	}
	oh, ow := g.OutSize(s.H, s.W)
	out := tensor.Shape{N: s.N, H: oh, W: ow, C: op.Out}
	if !out.Valid() {
		return tensor.Shape{}, fmt.Errorf("input %v is too small for a %dx%d kernel", s, g.KH, g.KW)
	}
	return out, nil
}

func (op *BatchNorm) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	if want := []int{in[0].C}; !slices.Equal(op.Weight.Shape, want) {
		return tensor.Shape{}, fmt.Errorf("%s is %v, input has %d channels", op.Weight.Name, op.Weight.Shape, in[0].C)
	}
	return in[0], nil
}

func (op *Activation) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	return in[0], nil
}

func (op *MaxPool) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return poolShape(in, op.Geometry)
}

func (op *AvgPool) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	return poolShape(in, op.Geometry)
}

func poolShape(in []tensor.Shape, g nn.PoolGeometry) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	oh, ow := g.OutSize(in[0].H, in[0].W)
	out := tensor.Shape{N: in[0].N, H: oh, W: ow, C: in[0].C}
	if !out.Valid() {
		return tensor.Shape{}, fmt.Errorf("input %v is too small for a %dx%d window", in[0], g.KH, g.KW)
	}
	return out, nil
}

func (op *GlobalAvgPool) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	return tensor.Shape{N: in[0].N, H: 1, W: 1, C: in[0].C}, nil
}

func (op *Concat) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) < 1 {
		return tensor.Shape{}, fmt.Errorf("needs at least one input")
	}
	out := in[0]
	for _, s := range in[1:] {
		if s.N != out.N || s.H != out.H || s.W != out.W {
			return tensor.Shape{}, fmt.Errorf("inputs %v and %v differ in size", in[0], s)
		}
		out.C += s.C
	}
	return out, nil
}

func (op *Add) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 2); err != nil {
		return tensor.Shape{}, err
	}
	if in[0] != in[1] {
		return tensor.Shape{}, fmt.Errorf("shapes %v and %v differ", in[0], in[1])
	}
	return in[0], nil
}

func (op *MulChannels) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 2); err != nil {
		return tensor.Shape{}, err
	}
	if s := in[1]; s.N != in[0].N || s.H != 1 || s.W != 1 || s.C != in[0].C {
		return tensor.Shape{}, fmt.Errorf("scale %v does not match %v per channel", s, in[0])
	}
	return in[0], nil
}

func (op *Shift) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	if len(op.Offsets) != in[0].C {
		return tensor.Shape{}, fmt.Errorf("%d offsets for %d channels", len(op.Offsets), in[0].C)
	}
	return in[0], nil
}

func (op *Linear) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	if in[0].H != 1 || in[0].W != 1 {
		return tensor.Shape{}, fmt.Errorf("input %v must be flat [N 1 1 C]", in[0])
	}
	if want := []int{op.Out, in[0].C}; !slices.Equal(op.Weight.Shape, want) {
		return tensor.Shape{}, fmt.Errorf("weight %s is %v, input needs %v", op.Weight.Name, op.Weight.Shape, want)
	}
	return tensor.Shape{N: in[0].N, H: 1, W: 1, C: op.Out}, nil
}

func (op *Flatten) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	s := in[0]
	return tensor.Shape{N: s.N, H: 1, W: 1, C: s.H * s.W * s.C}, nil
}

func (op *Softmax) OutShape(in []tensor.Shape) (tensor.Shape, error) {
	if err := wantInputs(in, 1); err != nil {
		return tensor.Shape{}, err
	}
	if in[0].H != 1 || in[0].W != 1 {
		return tensor.Shape{}, fmt.Errorf("input %v must be flat [N 1 1 C]", in[0])
	}
	return in[0], nil
}
