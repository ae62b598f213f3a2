package models

import (
	"fmt"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// squeezeNetModule is features.2 onwards: a max pool (squeeze 0) or a
// fire module with its squeeze and (per branch) expand channels.
type squeezeNetModule struct{ squeeze, expand int }

var squeezeNetLayouts = map[string]struct {
	stemOut, stemKernel int
	modules             []squeezeNetModule
}{
	"1_0": {96, 7, []squeezeNetModule{
		{}, {16, 64}, {16, 64}, {32, 128}, {}, {32, 128}, {48, 192}, {48, 192}, {64, 256}, {}, {64, 256},
	}},
	"1_1": {64, 3, []squeezeNetModule{
		{}, {16, 64}, {16, 64}, {}, {32, 128}, {32, 128}, {}, {48, 192}, {48, 192}, {64, 256}, {64, 256},
	}},
}

// SqueezeNet builds torchvision's squeezenet1_0 (version "1_0") or
// squeezenet1_1 ("1_1") for a 224x224 input (Iandola et al. 2016).
//
// Version 1.1 reaches 1.0's accuracy with 2.4x fewer MACs by using a 3x3
// stem and pooling earlier. Module indices follow torchvision's
// nn.Sequential, ReLU and pooling layers included, so parameter names match
// (features.3.squeeze.weight, classifier.1.bias, ...).
func SqueezeNet(version string, classes int) (*graph.Graph, error) {
	b := graph.NewBuilder("squeezenet"+version, tensor.Shape{N: 1, H: 224, W: 224, C: 3})
	l, ok := squeezeNetLayouts[version]
	if !ok {
		return nil, fmt.Errorf("squeezenet: version %q: want 1_0 or 1_1", version)
	}
	x := b.Conv("features.0", b.Input(), graph.ConvSpec{Out: l.stemOut, Kernel: l.stemKernel, Stride: 2, Bias: true})
	x = b.Act("features.1", x, nn.ActReLU)
	for i, m := range l.modules {
		name := fmt.Sprintf("features.%d", i+2)
		if m.squeeze == 0 {
			x = b.MaxPool(name, x, 3, 2, 0, true)
		} else {
			x = fireModule(b, name, x, m.squeeze, m.expand)
		}
	}
	// classifier.0 is Dropout: the identity at inference.
	x = b.Conv("classifier.1", x, graph.ConvSpec{Out: classes, Kernel: 1, Bias: true})
	x = b.Act("classifier.2", x, nn.ActReLU)
	x = b.GlobalAvgPool("classifier.3", x)
	x = b.Flatten("flatten", x)
	return b.Finish(x)
}

// fireModule is SqueezeNet's Fire module: a 1x1 "squeeze" convolution to
// few channels, then 1x1 and 3x3 "expand" convolutions side by side whose
// outputs are concatenated (1x1 first), each followed by a ReLU.
func fireModule(b *graph.Builder, name string, x graph.Value, squeeze, expand int) graph.Value {
	s := b.Conv(name+".squeeze", x, graph.ConvSpec{Out: squeeze, Kernel: 1, Bias: true})
	s = b.Act(name+".squeeze_activation", s, nn.ActReLU)
	e1 := b.Conv(name+".expand1x1", s, graph.ConvSpec{Out: expand, Kernel: 1, Bias: true})
	e1 = b.Act(name+".expand1x1_activation", e1, nn.ActReLU)
	e3 := b.Conv(name+".expand3x3", s, graph.ConvSpec{Out: expand, Kernel: 3, Pad: 1, Bias: true})
	e3 = b.Act(name+".expand3x3_activation", e3, nn.ActReLU)
	return b.Concat(name, e1, e3)
}
