package modelfile

import (
	"fmt"
	"reflect"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/qnet"
)

// A node record stores its op's fields (qnet.Op.Fields) under their names
// in the optional fields of metaNode: nodeWriter puts them there on
// writing, nodeReader takes them out on reading. Neither knows any op.

// nodeFields is every op field a node record can hold, in the order of
// metaNode, each with where metaNode keeps it: a **int, **string,
// **metaConv, **metaPool or **arrayRef.
var nodeFields = []struct {
	name string
	slot func(mn *metaNode) any
}{
	{"out", func(mn *metaNode) any { return &mn.Out }},
	{"act", func(mn *metaNode) any { return &mn.Act }},
	{"fn", func(mn *metaNode) any { return &mn.Fn }},
	{"conv", func(mn *metaNode) any { return &mn.Conv }},
	{"pool", func(mn *metaNode) any { return &mn.Pool }},
	{"weights", func(mn *metaNode) any { return &mn.Weights }},
	{"weight_scales", func(mn *metaNode) any { return &mn.WeightScales }},
	{"bias", func(mn *metaNode) any { return &mn.Bias }},
	{"table", func(mn *metaNode) any { return &mn.Table }},
	{"offsets", func(mn *metaNode) any { return &mn.Offsets }},
}

// slotOf is where mn keeps the field name, which must hold a T.
func slotOf[T any](mn *metaNode, name string) (**T, error) {
	for _, f := range nodeFields {
		if f.name == name {
			if p, ok := f.slot(mn).(**T); ok {
				return p, nil
			}
			break
		}
	}
	var v T
	return nil, fmt.Errorf("%s: format version %d has no %T field of this name", name, Version, v)
}

// nodeWriter stores an op's fields in its node record, and their arrays
// in the data section. It records the first error and goes on.
type nodeWriter struct {
	mn   *metaNode
	data *dataWriter
	err  error
}

func put[T any](w *nodeWriter, name string, v *T) {
	p, err := slotOf[T](w.mn, name)
	if err != nil {
		w.fail(err)
		return
	}
	*p = v
}

func (w *nodeWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *nodeWriter) Int(name string, v *int) { put(w, name, ptr(*v)) }

func (w *nodeWriter) Act(name string, v *nn.Activation) {
	s, ok := actNames[*v]
	if !ok {
		w.fail(fmt.Errorf("%s %v: format version %d has no name for it", name, *v, Version))
	}
	put(w, name, &s)
}

func (w *nodeWriter) ConvGeometry(name string, g *nn.ConvGeometry) {
	put(w, name, &metaConv{metaWindow: metaWindow{KH: g.KH, KW: g.KW, StrideH: g.StrideH, StrideW: g.StrideW, PadH: g.PadH, PadW: g.PadW},
		DilH: g.DilH, DilW: g.DilW, Groups: g.Groups})
}

func (w *nodeWriter) PoolGeometry(name string, g *nn.PoolGeometry) {
	put(w, name, &metaPool{metaWindow: metaWindow{KH: g.KH, KW: g.KW, StrideH: g.StrideH, StrideW: g.StrideW, PadH: g.PadH, PadW: g.PadW},
		CeilMode: g.CeilMode, CountIncludePad: g.CountIncludePad})
}

func (w *nodeWriter) Int8s(name string, v *[]int8)       { put(w, name, w.data.int8s(*v)) }
func (w *nodeWriter) Int8Array(name string, v []int8)    { put(w, name, w.data.int8s(v)) }
func (w *nodeWriter) Int32s(name string, v *[]int32)     { put(w, name, w.data.int32s(*v)) }
func (w *nodeWriter) Float32s(name string, v *[]float32) { put(w, name, w.data.float32s(*v)) }

func (w *nodeWriter) Offsets(name string, v *[]nn.Offset) {
	pairs := make([]int32, 0, 2*len(*v))
	for _, o := range *v {
		pairs = append(pairs, int32(o.DY), int32(o.DX)) // bounded by qnet.Model.Validate
	}
	put(w, name, w.data.int32s(pairs))
}

// nodeReader fills an op's fields from its node record and the data
// section, after checking each: present, of a known name, within the
// data section. It stops at the first error, which names the field.
type nodeReader struct {
	mn      *metaNode
	r       *reader
	visited map[string]bool
	err     error
}

// get is the field name of the record, or nil after an error.
func get[T any](d *nodeReader, name string) *T {
	if d.err != nil {
		return nil
	}
	d.visited[name] = true
	p, err := slotOf[T](d.mn, name)
	if err == nil && *p == nil {
		err = fmt.Errorf("%s: missing, a %s needs it", name, d.mn.Op)
	}
	if err != nil {
		d.err = err
		return nil
	}
	return *p
}

func (d *nodeReader) Int(name string, v *int) {
	if p := get[int](d, name); p != nil {
		*v = *p
	}
}

func (d *nodeReader) Act(name string, v *nn.Activation) {
	p := get[string](d, name)
	if p == nil {
		return
	}
	a, ok := parseName(actNames, *p)
	if !ok {
		d.err = fmt.Errorf("%s %q: not an activation (none, relu, relu6, silu, sigmoid)", name, *p)
		return
	}
	*v = a
}

func (d *nodeReader) ConvGeometry(name string, g *nn.ConvGeometry) {
	if c := get[metaConv](d, name); c != nil {
		*g = nn.ConvGeometry{KH: c.KH, KW: c.KW, StrideH: c.StrideH, StrideW: c.StrideW,
			PadH: c.PadH, PadW: c.PadW, DilH: c.DilH, DilW: c.DilW, Groups: c.Groups}
	}
}

func (d *nodeReader) PoolGeometry(name string, g *nn.PoolGeometry) {
	if p := get[metaPool](d, name); p != nil {
		*g = nn.PoolGeometry{KH: p.KH, KW: p.KW, StrideH: p.StrideH, StrideW: p.StrideW, PadH: p.PadH, PadW: p.PadW,
			CeilMode: p.CeilMode, CountIncludePad: p.CountIncludePad}
	}
}

// array reads an array field with the reader's read for its dtype.
func array[T any](d *nodeReader, name string, read func(*arrayRef, string) ([]T, error)) ([]T, bool) {
	ref := get[arrayRef](d, name)
	if ref == nil {
		return nil, false
	}
	v, err := read(ref, name)
	if err != nil {
		d.err = err
		return nil, false
	}
	return v, true
}

func (d *nodeReader) Int8s(name string, v *[]int8) {
	if a, ok := array(d, name, d.r.int8s); ok {
		*v = a
	}
}

func (d *nodeReader) Int8Array(name string, v []int8) {
	a, ok := array(d, name, d.r.int8s)
	if ok && len(a) != len(v) {
		d.err = fmt.Errorf("%s: %d values, want %d", name, len(a), len(v))
		return
	}
	copy(v, a)
}

func (d *nodeReader) Int32s(name string, v *[]int32) {
	if a, ok := array(d, name, d.r.int32s); ok {
		*v = a
	}
}

func (d *nodeReader) Float32s(name string, v *[]float32) {
	if a, ok := array(d, name, d.r.float32s); ok {
		*v = a
	}
}

func (d *nodeReader) Offsets(name string, v *[]nn.Offset) {
	pairs, ok := array(d, name, d.r.int32s)
	if !ok {
		return
	}
	if len(pairs)%2 != 0 {
		d.err = fmt.Errorf("%s: %d values, want (dy, dx) pairs", name, len(pairs))
		return
	}
	offs := make([]nn.Offset, len(pairs)/2)
	for i := range offs {
		offs[i] = nn.Offset{DY: int(pairs[2*i]), DX: int(pairs[2*i+1])}
	}
	*v = offs
}

// encodeOp stores op in mn: its name and its fields.
func encodeOp(mn *metaNode, op qnet.Op, data *dataWriter) error {
	if mn.Op = qnet.OpName(op); mn.Op == "" {
		return fmt.Errorf("op %T cannot be stored in format version %d", op, Version)
	}
	w := nodeWriter{mn: mn, data: data}
	op.Fields(&w)
	return w.err
}

// decodeOp is the op of a node record. Its errors follow "node i (name) ".
func (r *reader) decodeOp(mn *metaNode) (qnet.Op, error) {
	op := qnet.NewOp(mn.Op)
	if op == nil {
		return nil, fmt.Errorf("op %q: not an op of format version %d", mn.Op, Version)
	}
	d := nodeReader{mn: mn, r: r, visited: map[string]bool{}}
	op.Fields(&d)
	if d.err != nil {
		return nil, d.err
	}
	for _, f := range nodeFields {
		if !d.visited[f.name] && !isNil(f.slot(mn)) {
			return nil, fmt.Errorf("%s: a %s has no such field", f.name, mn.Op)
		}
	}
	return op, nil
}

// isNil reports whether the record field slot points to is absent.
func isNil(slot any) bool { return reflect.ValueOf(slot).Elem().IsNil() }
