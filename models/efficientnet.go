package models

import (
	"fmt"
	"math"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// EfficientNet compound scaling (Tan & Le 2019): one coefficient phi scales
// depth by alpha^phi, width by beta^phi and resolution by gamma^phi, with
// alpha*beta^2*gamma^2 ~ 2 so that each unit of phi about doubles the MACs
// (MACs grow linearly with depth and quadratically with width and
// resolution).
const (
	compoundAlpha = 1.2  // depth
	compoundBeta  = 1.1  // width
	compoundGamma = 1.15 // resolution
)

// EfficientNetVariant is one member of the B family: the compound
// coefficient phi and the multipliers published for it.
type EfficientNetVariant struct {
	Name string
	Phi  float64
	// Width and Depth are the published multipliers, the values torchvision
	// builds with; Resolution is the published training resolution.
	Width, Depth float64
	Resolution   int
	// Resize and Crop are torchvision's evaluation preprocessing for its
	// ImageNet weights (resize the shorter side, then centre crop), which
	// is the input size neonet builds the graph for.
	Resize, Crop int
	Dropout      float64 // classifier dropout in training; unused at inference
	// Same pads every convolution as TensorFlow's "SAME" does
	// (nn.SamePadding) instead of PyTorch's symmetric (k-1)/2: strided
	// convolutions then pad one more row and column after than before.
	// Weights trained with TensorFlow need it to reach their accuracy.
	Same bool
}

// EfficientNetVariants lists B0-B3. The published coefficients are the
// compound rule rounded: phi = 0, 0.5, 1 and 2 give depth 1.2^phi = 1.00,
// 1.10, 1.20, 1.44 (published 1.0, 1.1, 1.2, 1.4), width 1.1^phi = 1.00,
// 1.05, 1.10, 1.21 (1.0, 1.0, 1.1, 1.2) and resolution 224*1.15^phi = 224,
// 240, 258, 296 (224, 240, 260, 300). torchvision evaluates B2 at 288 and
// B3 at 300 (B2's crop is larger than its training size, a choice of the
// torchvision weights' authors that scores higher).
var EfficientNetVariants = []EfficientNetVariant{
	{Name: "efficientnet_b0", Phi: 0, Width: 1.0, Depth: 1.0, Resolution: 224, Resize: 256, Crop: 224, Dropout: 0.2},
	{Name: "efficientnet_b1", Phi: 0.5, Width: 1.0, Depth: 1.1, Resolution: 240, Resize: 256, Crop: 240, Dropout: 0.2},
	{Name: "efficientnet_b2", Phi: 1, Width: 1.1, Depth: 1.2, Resolution: 260, Resize: 288, Crop: 288, Dropout: 0.3},
	{Name: "efficientnet_b3", Phi: 2, Width: 1.2, Depth: 1.4, Resolution: 300, Resize: 320, Crop: 300, Dropout: 0.3},
}

// TFEfficientNetVariants are B0-B3 for weights trained with TensorFlow
// (the official EfficientNet release, TF Hub), in torchvision's layout
// and parameter names: the same networks with TensorFlow's "SAME"
// padding, evaluated as TensorFlow evaluates them, at the training
// resolution after resizing to 32 pixels more (224/256, 240/272,
// 260/292, 300/332, bicubic). timm calls them tf_efficientnet_b0..b3.
var TFEfficientNetVariants = tfVariants(EfficientNetVariants)

func tfVariants(vs []EfficientNetVariant) []EfficientNetVariant {
	const cropPadding = 32 // TensorFlow's EfficientNet evaluation: resize to size+32, centre crop size
	tf := make([]EfficientNetVariant, len(vs))
	for i, v := range vs {
		v.Name, v.Same = "tf_"+v.Name, true
		v.Resize, v.Crop = v.Resolution+cropPadding, v.Resolution
		tf[i] = v
	}
	return tf
}

// Compound returns the multipliers the compound rule gives for phi, before
// rounding: depth alpha^phi, width beta^phi and resolution 224*gamma^phi.
func Compound(phi float64) (depth, width, resolution float64) {
	return math.Pow(compoundAlpha, phi), math.Pow(compoundBeta, phi), 224 * math.Pow(compoundGamma, phi)
}

// mbConvStage is one row of EfficientNet-B0's table (Tan & Le 2019,
// table 1): MBConv blocks with the same kernel and width.
type mbConvStage struct {
	expand, kernel, stride, in, out, layers int
}

var efficientNetB0Stages = []mbConvStage{
	{1, 3, 1, 32, 16, 1},
	{6, 3, 2, 16, 24, 2},
	{6, 5, 2, 24, 40, 2},
	{6, 3, 2, 40, 80, 3},
	{6, 5, 1, 80, 112, 3},
	{6, 5, 2, 112, 192, 4},
	{6, 3, 1, 192, 320, 1},
}

// makeDivisible rounds channels to the nearest multiple of 8 (hardware
// friendly), never going below 8 or more than 10% below the exact value.
func makeDivisible(v float64) int {
	const divisor = 8
	n := max(divisor, int(v+divisor/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

func scaleWidth(channels int, width float64) int { return makeDivisible(float64(channels) * width) }
func scaleDepth(layers int, depth float64) int   { return int(math.Ceil(float64(layers) * depth)) }

// EfficientNet builds torchvision's efficientnet_b0..b3 for the variant's
// evaluation crop, with the variant's padding.
func EfficientNet(v EfficientNetVariant, classes int) (*graph.Graph, error) {
	const eps = 1e-5 // torchvision's BatchNorm2d default for B0-B3
	b := graph.NewBuilder(v.Name, tensor.Shape{N: 1, H: v.Crop, W: v.Crop, C: 3})
	convBNAct := func(name string, x graph.Value, spec graph.ConvSpec, act nn.Activation) graph.Value {
		if spec.Same = v.Same; !v.Same {
			spec.Pad = (spec.Kernel - 1) / 2
		}
		x = b.Conv(name+".0", x, spec)
		x = b.BatchNorm(name+".1", x, eps)
		if act != nn.ActNone {
			x = b.Act(name+".2", x, act)
		}
		return x
	}
	stem := scaleWidth(efficientNetB0Stages[0].in, v.Width)
	x := convBNAct("features.0", b.Input(), graph.ConvSpec{Out: stem, Kernel: 3, Stride: 2}, nn.ActSiLU)
	for s, st := range efficientNetB0Stages {
		in, out := scaleWidth(st.in, v.Width), scaleWidth(st.out, v.Width)
		for j := range scaleDepth(st.layers, v.Depth) {
			stride := st.stride
			if j > 0 {
				in, stride = out, 1
			}
			name := fmt.Sprintf("features.%d.%d", s+1, j)
			x = mbConv(b, name, x, in, out, st.expand, st.kernel, stride, convBNAct)
		}
	}
	last := scaleWidth(efficientNetB0Stages[len(efficientNetB0Stages)-1].out, v.Width)
	x = convBNAct(fmt.Sprintf("features.%d", len(efficientNetB0Stages)+1), x,
		graph.ConvSpec{Out: 4 * last, Kernel: 1}, nn.ActSiLU)
	x = b.GlobalAvgPool("avgpool", x)
	x = b.Flatten("flatten", x)
	// classifier.0 is Dropout: the identity at inference.
	x = b.Linear("classifier.1", x, classes, true)
	return b.Finish(x)
}

// mbConv is the mobile inverted bottleneck: 1x1 expansion (skipped when
// the ratio is 1), depthwise k x k, squeeze-and-excitation, 1x1
// projection without activation, and a residual add when the block keeps
// the shape. Stochastic depth is the identity at inference.
func mbConv(b *graph.Builder, name string, x graph.Value, in, out, expand, kernel, stride int,
	convBNAct func(string, graph.Value, graph.ConvSpec, nn.Activation) graph.Value) graph.Value {
	input := x
	expanded := makeDivisible(float64(in * expand))
	k := 0
	layer := func() string { k++; return fmt.Sprintf("%s.block.%d", name, k-1) }
	if expanded != in {
		x = convBNAct(layer(), x, graph.ConvSpec{Out: expanded, Kernel: 1}, nn.ActSiLU)
	}
	x = convBNAct(layer(), x, graph.ConvSpec{Out: expanded, Kernel: kernel, Stride: stride, Groups: expanded}, nn.ActSiLU)
	x = squeezeExcitation(b, layer(), x, max(1, in/4))
	x = convBNAct(layer(), x, graph.ConvSpec{Out: out, Kernel: 1}, nn.ActNone)
	if stride == 1 && in == out {
		x = b.Add(name+".add", x, input)
	}
	return x
}

// squeezeExcitation rescales channels by weights computed from the whole
// image: global average pool, 1x1 conv down to squeeze channels, SiLU, 1x1
// conv back up, sigmoid, multiply.
func squeezeExcitation(b *graph.Builder, name string, x graph.Value, squeeze int) graph.Value {
	c := b.Shape(x).C
	s := b.GlobalAvgPool(name+".avgpool", x)
	s = b.Conv(name+".fc1", s, graph.ConvSpec{Out: squeeze, Kernel: 1, Bias: true})
	s = b.Act(name+".activation", s, nn.ActSiLU)
	s = b.Conv(name+".fc2", s, graph.ConvSpec{Out: c, Kernel: 1, Bias: true})
	s = b.Act(name+".scale_activation", s, nn.ActSigmoid)
	return b.MulChannels(name, x, s)
}
