package modelfile

import (
	"errors"
	"fmt"
	"math"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
)

// Magic starts every model file; the NUL keeps it from reading as text.
const Magic = "NEONETM\x00"

// Version is the format version this package writes and reads.
const Version = 1

const (
	headerSize = 64
	align      = 64 // array alignment: a cache line, more than any SIMD load needs

	// Header field offsets.
	offVersion  = 8
	offChecksum = 12
	offFlags    = 16 // the checksum covers everything from here on
	offHdrSize  = 20
	offFileSize = 24
	offMetaOff  = 32
	offMetaLen  = 40
	offDataOff  = 48
	offDataLen  = 56
)

// Fixed descriptions of the preprocessing this version supports; a reader
// refuses any other, so a future writer can describe a new convention
// without old readers misinterpreting it.
const (
	colorOrder = "RGB"
	layoutNHWC = "NHWC"
	normalize  = "(x/255-mean)/std"
)

// Limits that keep every later computation inside int32, so that a file
// is read the same way by 32-bit and 64-bit builds.
const (
	maxElems  = 1 << 28 // values in one tensor, as qnet.Model.Validate allows
	maxWindow = 1 << 12 // kernel size, stride, dilation, padding
	maxOffset = 1 << 20 // shift offset
	// maxActivations bounds the bytes of all tensors together, which the
	// executor's activation arena sums.
	maxActivations = 1 << 30
)

// Errors that Read wraps, for callers that react to the kind of failure
// (errors.Is); the messages themselves name the file and the field.
var (
	ErrNotModelFile = errors.New("not a neonet model file")
	ErrVersion      = errors.New("unsupported model file version")
	ErrTruncated    = errors.New("model file truncated")
	ErrChecksum     = errors.New("checksum mismatch: file is corrupt")
	ErrInvalid      = errors.New("invalid model file")
)

// Info describes a model file as stored.
type Info struct {
	Version  int    // format version
	Size     int64  // bytes
	Checksum string // "crc32c:" and 8 hex digits
	Metadata int64  // bytes of JSON metadata
	Data     int64  // bytes of the data section
}

// The metadata schema (see doc.go). Field names are snake_case JSON.
type (
	fileMeta struct {
		Name        string          `json:"name"`
		Calibration string          `json:"calibration,omitempty"`
		Input       int             `json:"input"`
		Output      int             `json:"output"`
		Labels      []string        `json:"labels,omitempty"`
		Preprocess  *metaPreprocess `json:"preprocess,omitempty"`
		Tensors     []metaTensor    `json:"tensors"`
		Nodes       []metaNode      `json:"nodes"`
	}
	metaPreprocess struct {
		Resize     int        `json:"resize"`
		CropH      int        `json:"crop_h"`
		CropW      int        `json:"crop_w"`
		Filter     string     `json:"filter"`
		Mean       [3]float32 `json:"mean"`
		Std        [3]float32 `json:"std"`
		ColorOrder string     `json:"color_order"`
		Layout     string     `json:"layout"`
		Normalize  string     `json:"normalize"`
	}
	metaTensor struct {
		Name  string  `json:"name"`
		Shape []int   `json:"shape"`
		Scale float32 `json:"scale"`
		Zero  int32   `json:"zero"`
	}
	metaNode struct {
		Name         string    `json:"name"`
		Op           string    `json:"op"`
		Inputs       []int     `json:"inputs"`
		Output       int       `json:"output"`
		Out          *int      `json:"out,omitempty"`
		Act          *string   `json:"act,omitempty"`
		Fn           *string   `json:"fn,omitempty"`
		Conv         *metaConv `json:"conv,omitempty"`
		Pool         *metaPool `json:"pool,omitempty"`
		Weights      *arrayRef `json:"weights,omitempty"`
		WeightScales *arrayRef `json:"weight_scales,omitempty"`
		Bias         *arrayRef `json:"bias,omitempty"`
		Table        *arrayRef `json:"table,omitempty"`
		Offsets      *arrayRef `json:"offsets,omitempty"`
	}
	metaConv struct {
		KH      int `json:"kh"`
		KW      int `json:"kw"`
		StrideH int `json:"stride_h"`
		StrideW int `json:"stride_w"`
		PadH    int `json:"pad_h"`
		PadW    int `json:"pad_w"`
		DilH    int `json:"dil_h"`
		DilW    int `json:"dil_w"`
		Groups  int `json:"groups"`
	}
	metaPool struct {
		KH              int  `json:"kh"`
		KW              int  `json:"kw"`
		StrideH         int  `json:"stride_h"`
		StrideW         int  `json:"stride_w"`
		PadH            int  `json:"pad_h"`
		PadW            int  `json:"pad_w"`
		CeilMode        bool `json:"ceil_mode"`
		CountIncludePad bool `json:"count_include_pad"`
	}
	// arrayRef points into the data section. int64 so that a 32-bit reader
	// sees the same (rejected) values as a 64-bit one.
	arrayRef struct {
		Offset int64  `json:"offset"`
		Length int64  `json:"length"`
		DType  string `json:"dtype"`
	}
)

const (
	dtInt8    = "int8"
	dtInt32   = "int32"
	dtFloat32 = "float32"
)

func dtypeSize(dt string) int64 {
	switch dt {
	case dtInt8:
		return 1
	case dtInt32, dtFloat32:
		return 4
	}
	return 0
}

// Op names in the file. They are the format's own, not qnet's Kind
// strings, so that renaming a Go type never changes the format.
const (
	opConv          = "conv2d"
	opLinear        = "linear"
	opTable         = "table"
	opAdd           = "add"
	opMul           = "mul"
	opMaxPool       = "maxpool"
	opAvgPool       = "avgpool"
	opGlobalAvgPool = "globalavgpool"
	opConcat        = "concat"
	opShift         = "shift"
	opFlatten       = "flatten"
	opRequant       = "requant"
)

// opName is the file's name for op, or "" for an op this version cannot
// store.
func opName(op qnet.Op) string {
	switch op.(type) {
	case *qnet.Conv:
		return opConv
	case *qnet.Linear:
		return opLinear
	case *qnet.Table:
		return opTable
	case *qnet.Add:
		return opAdd
	case *qnet.MulChannels:
		return opMul
	case *qnet.MaxPool:
		return opMaxPool
	case *qnet.AvgPool:
		return opAvgPool
	case *qnet.GlobalAvgPool:
		return opGlobalAvgPool
	case *qnet.Concat:
		return opConcat
	case *qnet.Shift:
		return opShift
	case *qnet.Flatten:
		return opFlatten
	case *qnet.Requant:
		return opRequant
	}
	return ""
}

// Activation and filter names, spelled out here rather than taken from
// String methods so that the format is pinned by this package.
var (
	actNames = map[nn.Activation]string{
		nn.ActNone:    "none",
		nn.ActReLU:    "relu",
		nn.ActReLU6:   "relu6",
		nn.ActSiLU:    "silu",
		nn.ActSigmoid: "sigmoid",
	}
	filterNames = map[preprocess.Filter]string{
		preprocess.Bilinear: "bilinear",
		preprocess.Bicubic:  "bicubic",
		preprocess.Nearest:  "nearest",
	}
)

func parseAct(s string) (nn.Activation, bool) {
	for a, n := range actNames {
		if n == s {
			return a, true
		}
	}
	return 0, false
}

func parseFilter(s string) (preprocess.Filter, bool) {
	for f, n := range filterNames {
		if n == s {
			return f, true
		}
	}
	return 0, false
}

// clampAct reports whether a is an activation that requantization can
// fuse as a clamp; the executor ignores any other fused activation.
func clampAct(a nn.Activation) bool {
	return a == nn.ActNone || a == nn.ActReLU || a == nn.ActReLU6
}

// product multiplies non-negative factors, reporting false if the result
// exceeds limit (or any factor is negative) instead of overflowing.
func product(limit int, factors ...int) (int, bool) {
	p := 1
	for _, f := range factors {
		if f < 0 {
			return 0, false
		}
		if f != 0 && p > limit/f {
			return 0, false
		}
		p *= f
	}
	return p, true
}

func inRange(v, lo, hi int) bool { return v >= lo && v <= hi }

func finitePositive(x float32) bool {
	return x > 0 && !math.IsInf(float64(x), 0) // NaN fails x > 0
}

// checkModel applies the checks qnet.Model.Validate leaves out: limits
// that keep Validate's and the kernels' arithmetic from overflowing,
// finite positive scales, known activations, and a preprocessing spec and
// labels consistent with the input and output tensors. It runs before
// Validate, on both write and read, so it must itself be safe on any
// values.
func checkModel(m *qnet.Model) error {
	nt, total := len(m.Tensors), 0
	for i, t := range m.Tensors {
		s := t.Shape
		n, ok := product(maxElems, s.N, s.H, s.W, s.C)
		if !ok || s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 {
			return fmt.Errorf("tensor %d (%s): shape %v: want positive sizes and at most %d values", i, t.Name, s, maxElems)
		}
		// As the arena lays them out, 64-byte aligned. Each term is at most
		// 2^28 and the sum stops past 2^30: no overflow.
		if total += (n + qnet.Align - 1) / qnet.Align * qnet.Align; total > maxActivations {
			return fmt.Errorf("tensor %d (%s): shape %v: the tensors up to it hold %d values, more than the %d allowed in all", i, t.Name, s, total, maxActivations)
		}
		if !finitePositive(t.Params.Scale) {
			return fmt.Errorf("tensor %d (%s): scale %v: want a finite positive number", i, t.Name, t.Params.Scale)
		}
		if t.Params.Zero < quant.QMin || t.Params.Zero > quant.QMax {
			return fmt.Errorf("tensor %d (%s): zero point %d: want %d..%d", i, t.Name, t.Params.Zero, quant.QMin, quant.QMax)
		}
	}
	if !inRange(m.Input, 0, nt-1) || !inRange(m.Output, 0, nt-1) {
		return fmt.Errorf("input %d or output %d: want a tensor index below %d", m.Input, m.Output, nt)
	}
	for i := range m.Nodes {
		n := &m.Nodes[i]
		if err := checkNode(m, n); err != nil {
			return fmt.Errorf("node %d (%s): %w", i, n.Name, err)
		}
	}
	if err := checkPreprocess(m); err != nil {
		return err
	}
	if out := m.Tensors[m.Output].Shape; len(m.Labels) > 0 && len(m.Labels) != out.C {
		return fmt.Errorf("labels: %d names for %d output channels", len(m.Labels), out.C)
	}
	return nil
}

func checkNode(m *qnet.Model, n *qnet.Node) error {
	nt := len(m.Tensors)
	if n.Op == nil {
		return fmt.Errorf("no op")
	}
	if len(n.Inputs) == 0 {
		return fmt.Errorf("no inputs")
	}
	for _, in := range n.Inputs {
		if !inRange(in, 0, nt-1) {
			return fmt.Errorf("input tensor %d: want an index below %d", in, nt)
		}
	}
	if !inRange(n.Output, 0, nt-1) {
		return fmt.Errorf("output tensor %d: want an index below %d", n.Output, nt)
	}
	in, out := m.Tensors[n.Inputs[0]].Shape, m.Tensors[n.Output].Shape
	switch op := n.Op.(type) {
	case *qnet.Conv:
		g := op.Geometry
		for _, v := range []int{g.KH, g.KW, g.StrideH, g.StrideW, g.DilH, g.DilW} {
			if !inRange(v, 1, maxWindow) {
				return fmt.Errorf("conv geometry %+v: kernel, stride and dilation must be 1..%d", g, maxWindow)
			}
		}
		if !inRange(g.PadH, 0, maxWindow) || !inRange(g.PadW, 0, maxWindow) || !inRange(g.Groups, 1, in.C) || in.C%g.Groups != 0 {
			return fmt.Errorf("conv geometry %+v: padding must be 0..%d and groups divide the %d input channels", g, maxWindow, in.C)
		}
		if op.Out != out.C {
			return fmt.Errorf("out %d: output tensor has %d channels", op.Out, out.C)
		}
		// The kernels' indirection buffer has an int32 per tap and output position.
		if _, ok := product(maxElems, out.N, out.H, out.W, g.KH, g.KW); !ok {
			return fmt.Errorf("conv geometry %+v: %dx%d taps at %dx%dx%d output positions, more than %d", g, g.KH, g.KW, out.N, out.H, out.W, maxElems)
		}
		want, ok := product(math.MaxInt32, g.KH, g.KW, in.C/g.Groups, op.Out)
		if !ok || len(op.Weights) != want {
			return fmt.Errorf("weights: %d values, want %dx%dx%dx%d", len(op.Weights), g.KH, g.KW, in.C/g.Groups, op.Out)
		}
		return checkChannels(op.Out, op.WeightScales, op.Bias, op.Act)
	case *qnet.Linear:
		if op.Out != out.C {
			return fmt.Errorf("out %d: output tensor has %d channels", op.Out, out.C)
		}
		want, ok := product(math.MaxInt32, op.Out, in.C)
		if !ok || len(op.Weights) != want {
			return fmt.Errorf("weights: %d values, want %dx%d", len(op.Weights), op.Out, in.C)
		}
		return checkChannels(op.Out, op.WeightScales, op.Bias, op.Act)
	case *qnet.Table:
		if _, ok := actNames[op.Fn]; !ok {
			return fmt.Errorf("unknown table function %v", op.Fn)
		}
	case *qnet.Add:
		if !clampAct(op.Act) {
			return fmt.Errorf("act %v: an add can only fuse none, relu or relu6", op.Act)
		}
	case *qnet.Shift:
		for c, o := range op.Offsets {
			if !inRange(o.DY, -maxOffset, maxOffset) || !inRange(o.DX, -maxOffset, maxOffset) {
				return fmt.Errorf("offsets: channel %d moves by %+v, beyond %d", c, o, maxOffset)
			}
		}
	case *qnet.MaxPool:
		return checkPool(op.Geometry)
	case *qnet.AvgPool:
		return checkPool(op.Geometry)
	case *qnet.MulChannels, *qnet.GlobalAvgPool, *qnet.Concat, *qnet.Flatten, *qnet.Requant:
	default:
		return fmt.Errorf("op %T cannot be stored in format version %d", n.Op, Version)
	}
	return nil
}

// checkChannels checks a conv or linear layer's per-channel arrays.
func checkChannels(out int, scales []float32, bias []int32, act nn.Activation) error {
	if len(scales) != out {
		return fmt.Errorf("weight_scales: %d values, want %d", len(scales), out)
	}
	for c, s := range scales {
		if !finitePositive(s) {
			return fmt.Errorf("weight_scales: channel %d is %v, want a finite positive number", c, s)
		}
	}
	if len(bias) != out {
		return fmt.Errorf("bias: %d values, want %d", len(bias), out)
	}
	if !clampAct(act) {
		return fmt.Errorf("act %v: only none, relu or relu6 can be fused", act)
	}
	return nil
}

func checkPool(g nn.PoolGeometry) error {
	for _, v := range []int{g.KH, g.KW, g.StrideH, g.StrideW} {
		if !inRange(v, 1, maxWindow) {
			return fmt.Errorf("pool geometry %+v: kernel and stride must be 1..%d", g, maxWindow)
		}
	}
	if !inRange(g.PadH, 0, maxWindow) || !inRange(g.PadW, 0, maxWindow) {
		return fmt.Errorf("pool geometry %+v: padding must be 0..%d", g, maxWindow)
	}
	return nil
}

// checkPreprocess checks the spec, unless it is the zero Spec (a model
// without preprocessing, e.g. a test model fed tensors directly).
func checkPreprocess(m *qnet.Model) error {
	s := m.Preprocess
	if s == (preprocess.Spec{}) {
		return nil
	}
	if !inRange(s.Resize, 0, maxWindow*4) || !inRange(s.CropH, 1, maxWindow*4) || !inRange(s.CropW, 1, maxWindow*4) {
		return fmt.Errorf("preprocess: resize %d, crop %dx%d: want sizes up to %d", s.Resize, s.CropH, s.CropW, maxWindow*4)
	}
	if _, ok := filterNames[s.Filter]; !ok {
		return fmt.Errorf("preprocess: unknown filter %v", s.Filter)
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
