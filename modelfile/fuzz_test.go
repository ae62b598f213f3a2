package modelfile

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/qnet"
)

// FuzzRead feeds whole files to Read. The checksum rejects nearly every
// mutation early; FuzzMetadata gets past it.
func FuzzRead(f *testing.F) {
	b := encodeT(f, testModel())
	f.Add(b)
	f.Add(b[:headerSize])
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := Read(data, "fuzz"); err == nil {
			exercise(t, m)
		}
	})
}

// FuzzMetadata fuzzes the metadata JSON of a valid file and re-seals the
// checksum, so that mutations reach the decoder, the strict checks and
// qnet's validation; any model accepted must compile and run.
func FuzzMetadata(f *testing.F) {
	file := encodeT(f, testModel())
	meta := metadataOf(file)
	f.Add(meta)
	// Compact JSON gives the mutator fewer bytes of indentation to waste
	// its mutations on.
	var compact bytes.Buffer
	if err := json.Compact(&compact, meta); err != nil {
		f.Fatal(err)
	}
	f.Add(compact.Bytes())
	f.Fuzz(func(t *testing.T, meta []byte) {
		if m, err := Read(reseal(file, meta), "fuzz"); err == nil {
			exercise(t, m)
		}
	})
}

// exercise checks that an accepted model is safe to use: it re-encodes,
// and, if small enough to run quickly, compiles and runs.
func exercise(t *testing.T, m *qnet.Model) {
	if _, _, err := encode(m); err != nil {
		t.Fatalf("Read accepted a model that Write refuses: %v", err)
	}
	var elems, macs int64
	for _, tn := range m.Tensors {
		elems += int64(tn.Shape.Elems())
	}
	for i := range m.Nodes {
		_, _, mac := nodeCost(m, &m.Nodes[i])
		macs += mac
		// Every op touches its inputs and outputs; pooling also its window.
		n := &m.Nodes[i]
		out := int64(m.Tensors[n.Output].Shape.Elems())
		macs += out
		for _, in := range n.Inputs {
			macs += int64(m.Tensors[in].Shape.Elems())
		}
		var g nn.PoolGeometry
		switch op := n.Op.(type) {
		case *qnet.MaxPool:
			g = op.Geometry
		case *qnet.AvgPool:
			g = op.Geometry
		default:
			continue
		}
		in := m.Tensors[n.Inputs[0]].Shape
		macs += out * int64(min(g.KH, in.H)) * int64(min(g.KW, in.W))
	}
	if elems > 1<<20 || macs > 1<<24 {
		return
	}
	p, err := qnet.Compile(m)
	if err != nil {
		t.Fatalf("Read accepted a model that does not compile: %v", err)
	}
	p.Run()
	_ = p.Logits()
}

// FuzzGraph edits the decoded metadata field by field — indices, shapes,
// geometry, scales, op names, array references — and re-encodes it, so
// that every input is well-formed JSON and mutations test the semantic
// checks, qnet's validation and the executor rather than the JSON parser.
// Each 4-byte group of the input is one edit: 2 bytes choose the field,
// 1 the kind of value, 1 the value.
func FuzzGraph(f *testing.F) {
	file := encodeT(f, testModel())
	var base fileMeta
	if err := json.Unmarshal(metadataOf(file), &base); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 7, 0, 3, 1, 2, 1, 200, 0, 40, 3, 9})
	f.Fuzz(func(t *testing.T, edits []byte) {
		var fm fileMeta
		b, _ := json.Marshal(&base)
		json.Unmarshal(b, &fm) // a deep copy
		var fields []reflect.Value
		collectFields(reflect.ValueOf(&fm).Elem(), &fields)
		for ; len(edits) >= 4; edits = edits[4:] {
			field := fields[(int(edits[0])<<8|int(edits[1]))%len(fields)]
			setField(field, edits[2], edits[3])
		}
		meta, err := json.Marshal(&fm)
		if err != nil {
			return
		}
		if m, err := Read(reseal(file, meta), "fuzz"); err == nil {
			exercise(t, m)
		}
	})
}

// collectFields appends every settable scalar reachable from v.
func collectFields(v reflect.Value, out *[]reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			collectFields(v.Elem(), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			collectFields(v.Field(i), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collectFields(v.Index(i), out)
		}
	default:
		*out = append(*out, v)
	}
}

var fuzzStrings = []string{"", "conv2d", "linear", "table", "add", "mul", "maxpool", "avgpool", "globalavgpool",
	"concat", "shift", "flatten", "requant", "none", "relu", "relu6", "silu", "sigmoid", "int8", "int32", "float32",
	"bilinear", "nearest", "RGB", "NHWC", "(x/255-mean)/std", "x"}

// setField sets a scalar to a value chosen by kind and val: small values
// near the valid ones, their negatives, powers of two up to overflow.
func setField(v reflect.Value, kind, val byte) {
	small := int64(int8(val))
	var n int64
	switch kind % 4 {
	case 0, 1:
		n = small
	case 2:
		n = int64(1) << (val % 64)
	case 3:
		n = -(int64(1) << (val % 64)) + small%3
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		if !v.OverflowInt(n) {
			v.SetInt(n)
		}
	case reflect.Float32:
		fs := []float64{0, -1, 1e-30, 1e30, 3.4e38, 0.5, 1.0 / 256, float64(small) / 16}
		v.SetFloat(fs[int(val)%len(fs)])
	case reflect.String:
		v.SetString(fuzzStrings[int(val)%len(fuzzStrings)])
	case reflect.Bool:
		v.SetBool(val&1 == 1)
	}
}
