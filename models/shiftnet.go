package models

import (
	"fmt"
	"math"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Shift networks (Wu et al. 2018, "Shift: A Zero FLOP, Zero Parameter
// Alternative to Spatial Convolutions") replace each spatial convolution by
// 1x1 convolution -> shift -> 1x1 convolution. Between two 1x1
// convolutions, which channel gets which offset does not change what the
// network can learn, so implementations differ; the engine takes one
// offset per channel and nn.InterleavedShift and nn.GroupedShift give the
// two conventions neonet's models use.

// ShiftResNet builds a ShiftResNet for 32x32 CIFAR images: ResNet-20 (3
// blocks per stage) or ResNet-56 (9), with every 3x3 convolution replaced
// by conv1 1x1 (C_in -> expansion*C) -> BN -> ReLU -> shift 3x3 -> conv2
// 1x1 (-> C, carrying the block's stride) -> BN -> ReLU, added to the
// shortcut with no ReLU after the sum (the structure of the trained
// weights in ../shared/data/weights/shiftresnet20_cifar10). Downsampling
// blocks use a strided 1x1 convolution with batch norm as shortcut.
func ShiftResNet(depth int, expansion float64, classes int) (*graph.Graph, error) {
	if (depth-2)%6 != 0 || depth < 8 {
		return nil, fmt.Errorf("shiftresnet: depth %d is not 6n+2", depth)
	}
	if expansion <= 0 {
		return nil, fmt.Errorf("shiftresnet: expansion %g must be positive", expansion)
	}
	const eps = 1e-5
	blocks := (depth - 2) / 6
	name := fmt.Sprintf("shiftresnet%d", depth)
	b := graph.NewBuilder(name, tensor.Shape{N: 1, H: 32, W: 32, C: 3})
	x := b.Conv("conv1", b.Input(), graph.ConvSpec{Out: 16, Kernel: 3, Pad: 1})
	x = b.BatchNorm("bn1", x, eps)
	x = b.Act("relu", x, nn.ActReLU)
	in := 16
	for stage, width := range []int{16, 32, 64} {
		for j := range blocks {
			stride := 1
			if stage > 0 && j == 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d", stage+1, j)
			mid := int(math.Round(expansion * float64(width)))
			y := b.Conv(p+".conv1", x, graph.ConvSpec{Out: mid, Kernel: 1})
			y = b.BatchNorm(p+".bn1", y, eps)
			y = b.Act(p+".relu1", y, nn.ActReLU)
			y = b.Shift(p+".shift", y, nn.InterleavedShift(mid))
			y = b.Conv(p+".conv2", y, graph.ConvSpec{Out: width, Kernel: 1, Stride: stride})
			y = b.BatchNorm(p+".bn2", y, eps)
			y = b.Act(p+".relu2", y, nn.ActReLU)
			shortcut := x
			if stride != 1 || in != width {
				shortcut = b.Conv(p+".shortcut.0", x, graph.ConvSpec{Out: width, Kernel: 1, Stride: stride})
				shortcut = b.BatchNorm(p+".shortcut.1", shortcut, eps)
			}
			x = b.Add(p+".add", y, shortcut)
			in = width
		}
	}
	x = b.GlobalAvgPool("avgpool", x)
	x = b.Flatten("flatten", x)
	x = b.Linear("linear", x, classes, true)
	return b.Finish(x)
}

// shiftNetAStage is one stage of ShiftNet-A: output channels, blocks, shift
// kernel, and the expansion of its first block and of the others.
type shiftNetAStage struct {
	out, blocks, kernel int
	firstExpansion      int
	expansion           int
}

var shiftNetAStages = []shiftNetAStage{
	{64, 5, 5, 4, 4},
	{128, 6, 5, 4, 3},
	{256, 7, 3, 3, 2},
	{512, 3, 3, 2, 1},
}

// ShiftNetA builds ShiftNet-A for 224x224 ImageNet images as the paper
// describes it (4.19M parameters, 1.42 G MACs): a 7x7 stem, four stages of
// pre-activation conv-shift-conv blocks (BN -> ReLU -> 1x1 -> shift -> BN
// -> ReLU -> 1x1) with grouped shifts, and a BN -> ReLU -> pool -> FC head.
// The first block of each stage halves the resolution and widens the
// network by concatenating its new channels after the input, average
// pooled; the other blocks are residual.
func ShiftNetA(classes int) (*graph.Graph, error) {
	const eps = 1e-5
	b := graph.NewBuilder("shiftnet_a", tensor.Shape{N: 1, H: 224, W: 224, C: 3})
	x := b.Conv("conv1", b.Input(), graph.ConvSpec{Out: 32, Kernel: 7, Stride: 2, Pad: 3})
	in := 32
	for s, st := range shiftNetAStages {
		for j := range st.blocks {
			p := fmt.Sprintf("layer%d.%d", s+1, j)
			out, stride, expansion := st.out, 1, st.expansion
			if j == 0 {
				out, stride, expansion = st.out-in, 2, st.firstExpansion
			}
			mid := expansion * out
			y := b.BatchNorm(p+".bn1", x, eps)
			y = b.Act(p+".relu1", y, nn.ActReLU)
			y = b.Conv(p+".conv1", y, graph.ConvSpec{Out: mid, Kernel: 1})
			y = b.Shift(p+".shift", y, nn.GroupedShift(mid, st.kernel))
			y = b.BatchNorm(p+".bn2", y, eps)
			y = b.Act(p+".relu2", y, nn.ActReLU)
			y = b.Conv(p+".conv2", y, graph.ConvSpec{Out: out, Kernel: 1, Stride: stride})
			if j == 0 {
				pooled := b.AvgPool(p+".pool", x, 3, 2, 1, false, true)
				x = b.Concat(p+".cat", pooled, y)
			} else {
				x = b.Add(p+".add", x, y)
			}
			in = st.out
		}
	}
	x = b.BatchNorm("bn", x, eps)
	x = b.Act("relu", x, nn.ActReLU)
	x = b.GlobalAvgPool("avgpool", x)
	x = b.Flatten("flatten", x)
	x = b.Linear("fc", x, classes, true)
	return b.Finish(x)
}
