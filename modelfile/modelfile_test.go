package modelfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// testModel builds a small valid model that uses every qnet op:
//
//	input -> stem conv -> shift -> silu table -> dw conv ─┐
//	             └──────> maxpool -> requant ─────────────┴> concat -> avgpool ─┐
//	  ┌─────────────────────────────────────────────────────────────────────────┘
//	  ├> gap -> se.fc (linear) -> sigmoid table ─┐
//	  └─────────────────────────────────> mul <──┘ -> add (+ avgpool) -> flatten -> fc
func testModel() *qnet.Model {
	m := &qnet.Model{
		Name:        "testnet",
		Labels:      []string{"cat", "dog", "bird", "fish", "frog"},
		Preprocess:  preprocess.Spec{Resize: 8, CropH: 6, CropW: 6, Filter: preprocess.Bicubic, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}},
		Calibration: "percentile 99.99 over 4 images",
	}
	tensorOf := func(name string, s tensor.Shape, p quant.Params) int {
		m.Tensors = append(m.Tensors, qnet.Tensor{Name: name, Shape: s, Params: p})
		return len(m.Tensors) - 1
	}
	node := func(name string, op qnet.Op, out int, ins ...int) {
		m.Nodes = append(m.Nodes, qnet.Node{Name: name, Op: op, Inputs: ins, Output: out})
	}
	r := testArrays{rand.New(rand.NewPCG(7, 11))}
	weights, scales, bias, table := r.weights, r.scales, r.bias, r.table
	p := func(scale float32, zero int32) quant.Params { return quant.Params{Scale: scale, Zero: zero} }
	sh := func(h, w, c int) tensor.Shape { return tensor.Shape{N: 1, H: h, W: w, C: c} }

	in := tensorOf("input", sh(6, 6, 3), p(0.018, -10))
	m.Input = in
	stemP := p(0.05, -128)
	stem := tensorOf("stem", sh(6, 6, 8), stemP)
	node("stem", &qnet.Conv{Geometry: nn.ConvGeometry{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		Out: 8, Weights: weights(3 * 3 * 3 * 8), WeightScales: scales(8), Bias: bias(8), Act: nn.ActReLU}, stem, in)
	offs := make([]nn.Offset, 8)
	for c := range offs {
		offs[c] = nn.Offset{DY: c%3 - 1, DX: c/3 - 1}
	}
	shifted := tensorOf("shift", sh(6, 6, 8), stemP)
	node("shift", &qnet.Shift{Offsets: offs}, shifted, stem)
	silu := tensorOf("silu", sh(6, 6, 8), p(0.03, -20))
	node("silu", &qnet.Table{Fn: nn.ActSiLU, Table: table()}, silu, shifted)
	catP := p(0.04, -100)
	dw := tensorOf("dw", sh(3, 3, 8), catP)
	node("dw", &qnet.Conv{Geometry: nn.ConvGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Groups: 8},
		Out: 8, Weights: weights(3 * 3 * 1 * 8), WeightScales: scales(8), Bias: bias(8), Act: nn.ActReLU6}, dw, silu)
	mp := tensorOf("mp", sh(3, 3, 8), stemP)
	node("mp", &qnet.MaxPool{Geometry: nn.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}}, mp, stem)
	rq := tensorOf("cat.requant", sh(3, 3, 8), catP)
	node("cat.requant1", &qnet.Requant{}, rq, mp)
	cat := tensorOf("cat", sh(3, 3, 16), catP)
	node("cat", &qnet.Concat{}, cat, dw, rq)
	apP := p(0.035, -90)
	ap := tensorOf("ap", sh(2, 2, 16), apP)
	node("ap", &qnet.AvgPool{Geometry: nn.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true, CountIncludePad: true}}, ap, cat)
	gap := tensorOf("gap", sh(1, 1, 16), p(0.03, -80))
	node("gap", &qnet.GlobalAvgPool{}, gap, ap)
	fc1 := tensorOf("se.fc", sh(1, 1, 16), p(0.1, -128))
	node("se.fc", &qnet.Linear{Out: 16, Weights: weights(16 * 16), WeightScales: scales(16), Bias: bias(16), Act: nn.ActReLU}, fc1, gap)
	sig := tensorOf("se.sigmoid", sh(1, 1, 16), p(1.0/256, -128))
	node("se.sigmoid", &qnet.Table{Fn: nn.ActSigmoid, Table: table()}, sig, fc1)
	mul := tensorOf("se.mul", sh(2, 2, 16), p(0.02, -70))
	node("se.mul", &qnet.MulChannels{}, mul, ap, sig)
	resP := p(0.06, -128)
	res := tensorOf("res", sh(2, 2, 16), resP)
	node("res", &qnet.Add{Act: nn.ActReLU}, res, mul, ap)
	flat := tensorOf("flat", sh(1, 1, 64), resP)
	node("flat", &qnet.Flatten{}, flat, res)
	fc := tensorOf("fc", sh(1, 1, 5), p(0.2, 3))
	node("fc", &qnet.Linear{Out: 5, Weights: weights(5 * 64), WeightScales: scales(5), Bias: bias(5)}, fc, flat)
	m.Output = fc
	return m
}

// testArrays makes a test model's random weights, weight scales, biases
// and lookup tables.
type testArrays struct{ rng *rand.Rand }

func (r testArrays) weights(n int) []int8 {
	w := make([]int8, n)
	for i := range w {
		w[i] = int8(r.rng.IntN(255) - 127)
	}
	return w
}

func (r testArrays) scales(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(0.002 + 0.01*r.rng.Float64())
	}
	return s
}

func (r testArrays) bias(n int) []int32 {
	b := make([]int32, n)
	for i := range b {
		b[i] = int32(r.rng.IntN(20001) - 10000)
	}
	return b
}

func (r testArrays) table() (t [256]int8) {
	for i := range t {
		t[i] = int8(r.rng.IntN(256) - 128)
	}
	return t
}

func encodeT(t testing.TB, m *qnet.Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runAll compiles m, runs it on a fixed input and returns every tensor.
func runAll(t *testing.T, m *qnet.Model) [][]int8 {
	t.Helper()
	p, err := qnet.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range p.Input().Data {
		p.Input().Data[i] = int8(rng.IntN(256) - 128)
	}
	p.Run()
	vals := make([][]int8, len(m.Tensors))
	for i := range vals {
		vals[i] = append([]int8(nil), p.Value(i).Data...)
	}
	return vals
}

func TestRoundTrip(t *testing.T) {
	m := testModel()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, n := range m.Nodes {
		kinds[qnet.OpName(n.Op)] = true
	}
	if len(kinds) != len(qnet.OpNames()) {
		t.Fatalf("test model uses %d of the %d ops", len(kinds), len(qnet.OpNames()))
	}
	before := runAll(t, m)
	b := encodeT(t, m)
	// Read from an aligned and from a misaligned copy: the first aliases
	// the arrays, the second copies them.
	aligned := alignedBuffer(len(b))
	copy(aligned, b)
	odd := alignedBuffer(len(b) + 1)[1:]
	copy(odd, b)
	for _, data := range [][]byte{aligned, odd} {
		got, info, err := ReadWithInfo(data, "test.nnm")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip changed the model:\n got %+v\nwant %+v", got, m)
		}
		if info.Version != Version || info.Size != int64(len(b)) || !strings.HasPrefix(info.Checksum, "crc32c:") {
			t.Errorf("info %+v", info)
		}
		after := runAll(t, got)
		if !reflect.DeepEqual(before, after) {
			t.Fatal("the model read back computes different values")
		}
	}
	// Every array starts 64-byte aligned from the file start.
	got, _ := Read(aligned, "test.nnm")
	conv := got.Nodes[0].Op.(*qnet.Conv)
	for _, p := range []*byte{(*byte)(ptrOf(conv.Weights)), (*byte)(ptrOf(conv.Bias)), (*byte)(ptrOf(conv.WeightScales))} {
		off := uintptrOf(p) - uintptrOf(&aligned[0])
		if off >= uintptr(len(aligned)) || off%align != 0 {
			t.Errorf("array at offset %d of the file: not aliased or not aligned", off)
		}
	}
	// Writing the read model gives the same bytes.
	if b2 := encodeT(t, got); !bytes.Equal(b, b2) {
		t.Error("re-encoding the read model changed the bytes")
	}
}

func TestNoPreprocessNoLabels(t *testing.T) {
	m := testModel()
	m.Preprocess, m.Labels, m.Calibration = preprocess.Spec{}, nil, ""
	got, err := Read(encodeT(t, m), "bare")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatal("round trip changed the model")
	}
}

func TestWriteRefusesBadModels(t *testing.T) {
	for name, change := range map[string]func(m *qnet.Model){
		"nan scale":     func(m *qnet.Model) { m.Tensors[2].Params.Scale = float32(nan()) },
		"labels":        func(m *qnet.Model) { m.Labels = m.Labels[:3] },
		"crop":          func(m *qnet.Model) { m.Preprocess.CropH = 5 },
		"fused silu":    func(m *qnet.Model) { m.Nodes[0].Op.(*qnet.Conv).Act = nn.ActSiLU },
		"weight scale":  func(m *qnet.Model) { m.Nodes[0].Op.(*qnet.Conv).WeightScales[1] = 0 },
		"short weights": func(m *qnet.Model) { c := m.Nodes[0].Op.(*qnet.Conv); c.Weights = c.Weights[1:] },
		"table fn":      func(m *qnet.Model) { m.Nodes[2].Op.(*qnet.Table).Fn = 99 },
		"filter":        func(m *qnet.Model) { m.Preprocess.Filter = 99 },
	} {
		m := testModel()
		change(m)
		if err := Write(&bytes.Buffer{}, m); err == nil {
			t.Errorf("%s: wrote a bad model", name)
		}
	}
}

// TestWriteRefusesHugeModels checks the limits that keep the executor's
// sizes inside a 32-bit int: each tensor is allowed, not all together.
func TestWriteRefusesHugeModels(t *testing.T) {
	for want, change := range map[string]func(m *qnet.Model){
		// Five tensors of 2^28 values: their sum overflows a 32-bit int.
		"tensor 4 (dw): shape [1 16384 16384 1]: the tensors up to it hold 1342177280 values": func(m *qnet.Model) {
			for i := range 5 {
				m.Tensors[i].Shape = tensor.Shape{N: 1, H: 1 << 14, W: 1 << 14, C: 1}
			}
		},
		// 4096x4096 taps at 6x6 output positions: 6e8 indirection entries.
		"node 0 (stem): conv geometry": func(m *qnet.Model) {
			c := m.Nodes[0].Op.(*qnet.Conv)
			c.Geometry.KH, c.Geometry.KW = 1<<12, 1<<12
		},
	} {
		m := testModel()
		change(m)
		if err := Write(&bytes.Buffer{}, m); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}

func TestCorruptByte(t *testing.T) {
	b := encodeT(t, testModel())
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 1 << (i % 8)
		_, err := Read(c, "x.nnm")
		var want error
		switch {
		case i < offVersion:
			want = ErrNotModelFile
		case i < offChecksum:
			want = ErrVersion
		case i >= offFileSize && i < offFileSize+8:
			// A damaged size reads as truncation or trailing bytes.
			if err == nil {
				t.Fatalf("byte %d: no error", i)
			}
			continue
		default:
			want = ErrChecksum
		}
		if !errors.Is(err, want) {
			t.Fatalf("byte %d flipped: got %v, want %v", i, err, want)
		}
	}
	_, err := Read(append(bytes.Clone(b[:200]), b[201:]...), "x.nnm")
	if err == nil || !errors.Is(err, ErrTruncated) {
		t.Errorf("a removed byte: %v", err)
	}
}

func TestTruncated(t *testing.T) {
	b := encodeT(t, testModel())
	for n := range len(b) {
		_, err := Read(b[:n], "short.nnm")
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("truncated to %d of %d bytes: %v", n, len(b), err)
		}
		if n >= headerSize && !strings.Contains(err.Error(), "missing") {
			t.Fatalf("truncated to %d: %v does not say how much is missing", n, err)
		}
	}
	_, err := Read(b[:1000], "short.nnm")
	t.Log(err)
	if _, err := Read(append(bytes.Clone(b), 0), "long.nnm"); err == nil {
		t.Error("trailing byte accepted")
	}
}

func TestFutureVersion(t *testing.T) {
	b := encodeT(t, testModel())
	binary.LittleEndian.PutUint32(b[offVersion:], 7)
	_, err := Read(b, "new.nnm")
	const want = "model file new.nnm is format version 7; this neonet reads version 1: update neonet"
	if err == nil || err.Error() != want || !errors.Is(err, ErrVersion) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestBadMagic(t *testing.T) {
	for _, b := range [][]byte{[]byte("\x89PNG\r\n\x1a\n........"), []byte("{}"), bytes.Repeat([]byte{0}, 100)} {
		_, err := Read(b, "cat.png")
		if !errors.Is(err, ErrNotModelFile) || !strings.Contains(err.Error(), "model file cat.png: not a neonet model file") {
			t.Errorf("%q: %v", b[:4], err)
		}
	}
}

// reseal replaces the metadata of a valid file and fixes the header and
// checksum, so tests and fuzzing reach the metadata decoder.
func reseal(file, meta []byte) []byte {
	le := binary.LittleEndian
	dataOff, dataLen := le.Uint64(file[offDataOff:]), le.Uint64(file[offDataLen:])
	data := file[dataOff : dataOff+dataLen]
	newOff := alignUp(headerSize + len(meta))
	b := make([]byte, newOff+len(data))
	copy(b, file[:headerSize])
	copy(b[headerSize:], meta)
	copy(b[newOff:], data)
	le.PutUint64(b[offFileSize:], uint64(len(b)))
	le.PutUint64(b[offMetaLen:], uint64(len(meta)))
	le.PutUint64(b[offDataOff:], uint64(newOff))
	le.PutUint64(b[offDataLen:], dataLen)
	le.PutUint32(b[offChecksum:], crc32Castagnoli(b[offFlags:]))
	return b
}

func metadataOf(file []byte) []byte {
	le := binary.LittleEndian
	off, n := le.Uint64(file[offMetaOff:]), le.Uint64(file[offMetaLen:])
	return bytes.Clone(file[off : off+n])
}

func TestMetadataErrors(t *testing.T) {
	file := encodeT(t, testModel())
	meta := string(metadataOf(file))
	for _, c := range []struct{ old, new, want string }{
		{`"op":"conv2d"`, `"op":"conv3d"`, `node 0 (stem) op "conv3d": not an op`},
		{`"op":"globalavgpool"`, `"op":"add"`, `node 8 (gap) act: missing`},
		{`"dtype":"int8"`, `"dtype":"int32"`, `node 0 (stem) weights: dtype "int32", want "int8"`},
		{`"offset":0,`, `"offset":100000,`, `node 0 (stem) weights: offset 100000`},
		{`"length":216,`, `"length":215,`, `node 0 (stem): weights: 215 values, want 3x3x3x8`},
		{`"scale":0.05,`, `"scale":-0.05,`, `tensor 1 (stem): scale -0.05`},
		{`"name": "testnet",`, `"name": "testnet", "extra": 1,`, `unknown field "extra"`},
		{`"act":"relu6"`, `"act":"gelu"`, `node 3 (dw) act "gelu": not an activation`},
		{`"color_order":"RGB"`, `"color_order":"BGR"`, `color_order "BGR"`},
		{`"kh":3`, `"kh":100000`, `node 0 (stem): conv geometry`},
	} {
		if !strings.Contains(meta, c.old) {
			t.Fatalf("metadata has no %s", c.old)
		}
		bad := strings.Replace(meta, c.old, c.new, 1)
		_, err := Read(reseal(file, []byte(bad)), "m.nnm")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "model file m.nnm: ") {
			t.Errorf("%s -> %s: got %v, want %q", c.old, c.new, err, c.want)
		}
	}
	if _, err := Read(reseal(file, []byte(meta+" {}")), "m.nnm"); err == nil {
		t.Error("trailing JSON accepted")
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.nnm")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := testModel()
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	got, info, err := LoadWithInfo(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatal("Save/Load changed the model")
	}
	st, _ := os.Stat(path)
	if info.Size != st.Size() || st.Mode().Perm() != 0o644 {
		t.Errorf("info %+v, file %d bytes mode %v", info, st.Size(), st.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after Save, want 1", len(entries))
	}
	// A failing save leaves the old file and no temporary file.
	bad := testModel()
	bad.Labels = bad.Labels[:1]
	if err := Save(path, bad); err == nil {
		t.Fatal("saved a bad model")
	}
	if _, err := Load(path); err != nil {
		t.Errorf("old file damaged by a failed save: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.nnm")); err == nil || !strings.Contains(err.Error(), "missing.nnm") {
		t.Errorf("missing file: %v", err)
	}
	if err := Save(filepath.Join(dir, "no", "such", "dir.nnm"), m); err == nil {
		t.Error("saved into a missing directory")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files after failed saves, want 1", len(entries))
	}
}

func TestDescribe(t *testing.T) {
	m := testModel()
	b := encodeT(t, m)
	_, info, err := ReadWithInfo(b, "d.nnm")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	Describe(&out, m, info)
	s := out.String()
	t.Log("\n" + s)
	for _, want := range []string{"testnet", "format version 1", info.Checksum, commas(int64(len(b))) + " bytes",
		"stem", "se.sigmoid", "table(sigmoid)", "conv2d 3x3 s2x2 p2x2 d2x2 g8 relu6", "[1 1 1 5]",
		"5 (\"cat\", \"dog\", \"bird\", \"fish\", \"frog\")", "center crop 6x6", "percentile 99.99",
		"totals: 15 nodes, 16 tensors, 901 parameters"} {
		if !strings.Contains(s, want) {
			t.Errorf("Describe output lacks %q", want)
		}
	}
	// A name that several classes share is read and shown.
	m.Labels = []string{"cat", "crane", "cat", "crane", "cat"}
	if _, info, err = ReadWithInfo(encodeT(t, m), "d.nnm"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	Describe(&out, m, info)
	if want := `names of more than one class: "cat" 0, 2 and 4, "crane" 1 and 3`; !strings.Contains(out.String(), want) {
		t.Errorf("Describe output lacks %q:\n%s", want, out.String())
	}
	out.Reset()
	Describe(&out, &qnet.Model{Name: "empty"}, Info{})
	if !strings.Contains(out.String(), "not read from a file") {
		t.Error(out.String())
	}
}

func ptrOf[T any](s []T) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(s)) }

func uintptrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }

func nan() float64 { return math.NaN() }

func crc32Castagnoli(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// TestLoadRefusesWhatIsNoFile: a folder, a device and a named pipe are
// refused before they are opened, with what they are; a named pipe with
// no writer must not hang the reader.
func TestLoadRefusesWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{dir: "a folder", "/dev/zero": "a device", fifo: "a named pipe"} {
		done := make(chan error, 1)
		go func() {
			_, err := Load(path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path+": "+want+", not a regular file") {
				t.Errorf("Load(%s): %v, want %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Load(%s) did not return", path)
		}
	}
}
