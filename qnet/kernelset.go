package qnet

import (
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8/amd64"
	"neonet.dev/neonet/kernels/q8/arm64"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// convRunner is a packed convolution (arm64.Conv, amd64.Conv).
type convRunner interface {
	Run(dst, src *tensor.Int8)
	RunRange(dst, src *tensor.Int8, start, end int)
	Pixels() int
}

// concatWriter is a convolution that can write into a wider tensor.
type concatWriter interface {
	RunRangeInto(dst []int8, stride, offset int, src *tensor.Int8, start, end int)
}

type depthwiseRunner interface {
	Run(dst, src *tensor.Int8)
	RunRows(dst, src *tensor.Int8, start, end int)
	Rows() int
}

type runner interface{ Run(dst, src *tensor.Int8) }

// kernelSet is one architecture's optimized kernels, all with the same
// signatures: qnet picks the set by path and never calls a kernel of the
// other architecture.
type kernelSet struct {
	conv          func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (convRunner, error)
	shiftConv     func(p dispatch.Path, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (runner, error)
	depthwise     func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (depthwiseRunner, error)
	linear        func(p dispatch.Path, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (runner, error)
	lookupTable   func(p dispatch.Path, dst, src []int8, table *[256]int8)
	add           func(p dispatch.Path, dst, a, b []int8, zA, zB int32, mA, mB float32, o q8ref.Output)
	mulChannels   func(p dispatch.Path, dst, x, s *tensor.Int8, zX, zS int32, o q8ref.Output)
	maxPool       func(p dispatch.Path, dst, src *tensor.Int8, g nn.PoolGeometry)
	avgPool       func(p dispatch.Path, dst, src *tensor.Int8, g nn.PoolGeometry, zIn int32, o q8ref.Output)
	globalAvgPool func(p dispatch.Path, dst, src *tensor.Int8, zIn int32, o q8ref.Output)
	shiftOrder    func(offsets []nn.Offset) []int
	// convType is a nil convolution of the set, for asking what its
	// convolutions can do (write into a concatenation).
	convType convRunner
}

// concatInPlace reports whether the set's convolutions can write straight
// into a concatenation.
func (ks *kernelSet) concatInPlace() bool {
	_, ok := ks.convType.(concatWriter)
	return ok
}

var neonKernels = kernelSet{
	conv: func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (convRunner, error) {
		return arm64.NewConv(p, w, bias, g, in, out, inZero, o)
	},
	shiftConv: func(p dispatch.Path, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (runner, error) {
		return arm64.NewShiftConv(p, offsets, w, bias, g, in, out, inZero, o)
	},
	depthwise: func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (depthwiseRunner, error) {
		return arm64.NewDepthwise(p, w, bias, g, in, out, inZero, o)
	},
	linear: func(p dispatch.Path, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (runner, error) {
		return arm64.NewLinear(p, w, bias, in, out, o)
	},
	lookupTable: arm64.LookupTable, add: arm64.Add, mulChannels: arm64.MulChannels,
	maxPool: arm64.MaxPool, avgPool: arm64.AvgPool, globalAvgPool: arm64.GlobalAvgPool,
	shiftOrder: arm64.ShiftChannelOrder, convType: (*arm64.Conv)(nil),
}

var avx2Kernels = kernelSet{
	conv: func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (convRunner, error) {
		return amd64.NewConv(p, w, bias, g, in, out, inZero, o)
	},
	shiftConv: func(p dispatch.Path, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (runner, error) {
		return amd64.NewShiftConv(p, offsets, w, bias, g, in, out, inZero, o)
	},
	depthwise: func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (depthwiseRunner, error) {
		return amd64.NewDepthwise(p, w, bias, g, in, out, inZero, o)
	},
	linear: func(p dispatch.Path, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (runner, error) {
		return amd64.NewLinear(p, w, bias, in, out, o)
	},
	lookupTable: amd64.LookupTable, add: amd64.Add, mulChannels: amd64.MulChannels,
	maxPool: amd64.MaxPool, avgPool: amd64.AvgPool, globalAvgPool: amd64.GlobalAvgPool,
	shiftOrder: amd64.ShiftChannelOrder, convType: (*amd64.Conv)(nil),
}

// kernelsFor is the kernel set of an optimized path.
func kernelsFor(p dispatch.Path) *kernelSet {
	if p == dispatch.AVX2 {
		return &avx2Kernels
	}
	return &neonKernels
}
