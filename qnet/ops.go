package qnet

import (
	"fmt"
	"reflect"

	"neonet.dev/neonet/nn"
)

// Op is one int8 operation. Each op type lives in a file of its own
// (op_conv.go, op_add.go, ...) that holds everything about it, in the
// order a model meets it: its fields and how a model file stores them
// (Fields), its checks against the node's tensors (check, called by
// Model.Validate), and its step on the reference kernels (reference:
// prepared once at Compile, the returned closure runs it). Where it has
// them, an op also has a summary for people (Describe), multiply-
// accumulates (macs) and a step on the optimized kernels (optimized); see
// the interfaces below. The ops are listed in one table, opTypes.
type Op interface {
	// Kind names the op in step listings, e.g. "conv2d" or "table(silu)".
	Kind() string
	// Fields visits the op's stored fields by their names in model files,
	// in the order a file stores their arrays.
	Fields(f Fields)

	// check checks the op against its node's tensors, whose indices and
	// parameters Validate has already checked, for a model that may come
	// from a file: any values, no overflow on 32-bit builds.
	check(m *Model, n *Node) error
	// reference prepares the node's step on the kernels/q8ref reference.
	reference(e *nodeEnv) (func(), error)
}

// describer is an op with settings worth showing: Describe is a one-line
// summary for people, e.g. "conv2d 3x3 s2x2 p1x1 relu". Other ops show
// their Kind.
type describer interface{ Describe() string }

// DescribeOp is op's one-line summary for people.
func DescribeOp(op Op) string {
	if d, ok := op.(describer); ok {
		return d.Describe()
	}
	return op.Kind()
}

// macCounter is an op that multiplies and accumulates weights: macs
// counts its node's multiply-accumulates as graph.NodeMACs does for the
// float op. Other ops count none.
type macCounter interface{ macs(m *Model, n *Node) int64 }

// optimizer is an op with optimized kernels: optimized prepares the node's
// step on e's packed kernels and names its kernel; ref is the reference
// step, for what those kernels leave to it. Other ops run their reference
// step on every path.
type optimizer interface {
	optimized(e *nodeEnv, ref func()) (func(), string, error)
}

// opTypes is every op a model can hold, under its name in model files.
// The names are the file format's own, not Kind strings: a stored name
// never changes.
var opTypes = []struct {
	name string
	new  func() Op
}{
	{"conv2d", func() Op { return new(Conv) }},
	{"linear", func() Op { return new(Linear) }},
	{"table", func() Op { return new(Table) }},
	{"add", func() Op { return new(Add) }},
	{"mul", func() Op { return new(MulChannels) }},
	{"maxpool", func() Op { return new(MaxPool) }},
	{"avgpool", func() Op { return new(AvgPool) }},
	{"globalavgpool", func() Op { return new(GlobalAvgPool) }},
	{"concat", func() Op { return new(Concat) }},
	{"shift", func() Op { return new(Shift) }},
	{"flatten", func() Op { return new(Flatten) }},
	{"requant", func() Op { return new(Requant) }},
}

var opNames = func() map[reflect.Type]string {
	names := make(map[reflect.Type]string, len(opTypes))
	for _, t := range opTypes {
		names[reflect.TypeOf(t.new())] = t.name
	}
	return names
}()

// OpName is op's name in model files ("conv2d", "mul", ...), or "" for
// nil.
func OpName(op Op) string { return opNames[reflect.TypeOf(op)] }

// NewOp returns a zero op of the type named name in model files, for its
// Fields to fill, or nil for a name no op has.
func NewOp(name string) Op {
	for _, t := range opTypes {
		if t.name == name {
			return t.new()
		}
	}
	return nil
}

// OpNames lists every op's name in model files.
func OpNames() []string {
	names := make([]string, len(opTypes))
	for i, t := range opTypes {
		names[i] = t.name
	}
	return names
}

// Fields is the vocabulary in which an op's fields are stored: each
// method visits one field by its name in model files, through a pointer,
// so that one Op.Fields method serves both writing a node (the visitor
// reads the field) and reading it back (the visitor sets it). Package
// modelfile implements it.
type Fields interface {
	Int(name string, v *int)
	Act(name string, v *nn.Activation)
	ConvGeometry(name string, v *nn.ConvGeometry)
	PoolGeometry(name string, v *nn.PoolGeometry)
	Int8s(name string, v *[]int8)
	// Int8Array is an array of exactly len(v) values.
	Int8Array(name string, v []int8)
	Int32s(name string, v *[]int32)
	Float32s(name string, v *[]float32)
	// Offsets are stored as int32 (dy, dx) pairs.
	Offsets(name string, v *[]nn.Offset)
}

// actSuffix is a fused activation as Describe shows it: nothing for none.
func actSuffix(a nn.Activation) string {
	if a == nn.ActNone {
		return ""
	}
	return " " + a.String()
}

// describePool is a pooling geometry as Describe shows it.
func describePool(g nn.PoolGeometry) string {
	s := fmt.Sprintf("%dx%d s%dx%d", g.KH, g.KW, g.StrideH, g.StrideW)
	if g.PadH != 0 || g.PadW != 0 {
		s += fmt.Sprintf(" p%dx%d", g.PadH, g.PadW)
	}
	if g.CeilMode {
		s += " ceil"
	}
	if g.CountIncludePad {
		s += " incl-pad"
	}
	return s
}
