package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
)

// expectedFile mirrors testdata/expected.json, written by make_fixtures.py.
type expectedFile map[string]struct {
	Keys    []string
	Tensors map[string]struct {
		Shape []int
		DType string
		Bits  []uint32
	}
}

func readExpected(t *testing.T) expectedFile {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp expectedFile
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	return exp
}

// loadBytes saves b to a temporary file and loads it through Load, so error
// messages carry a real path.
func loadBytes(t *testing.T, b []byte) (*StateDict, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.pth")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sd, err := Load(path)
	return sd, path, err
}

// rezip rebuilds a zip archive entry by entry. edit returns the new content
// of an entry, or keep=false to drop it. Entries are stored uncompressed, as
// torch.save does, with fresh CRCs, so only the edited content is "wrong".
func rezip(t testing.TB, src []byte, edit func(name string, data []byte) (out []byte, keep bool)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		data, keep := edit(f.Name, data)
		if !keep {
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadMatchesPyTorch(t *testing.T) {
	for file, want := range readExpected(t) {
		t.Run(file, func(t *testing.T) {
			sd, err := Load(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sd.Keys, want.Keys) {
				t.Fatalf("keys = %v, want %v", sd.Keys, want.Keys)
			}
			if len(sd.Tensors) != len(want.Keys) {
				t.Fatalf("%d tensors, want %d", len(sd.Tensors), len(want.Keys))
			}
			for _, k := range want.Keys {
				w := want.Tensors[k]
				got, ok := sd.Get(k)
				if !ok {
					t.Fatalf("Get(%q) missing", k)
				}
				if got.Name != k || !slices.Equal(got.Shape, w.Shape) || got.DType.String() != w.DType {
					t.Errorf("%s: got name %q shape %v dtype %v, want shape %v dtype %s",
						k, got.Name, got.Shape, got.DType, w.Shape, w.DType)
					continue
				}
				if len(got.Data) != len(w.Bits) {
					t.Errorf("%s: %d values, want %d", k, len(got.Data), len(w.Bits))
					continue
				}
				for i, bits := range w.Bits {
					if g := math.Float32bits(got.Data[i]); g != bits {
						t.Errorf("%s[%d] = %v (%#08x), want %v (%#08x)",
							k, i, got.Data[i], g, math.Float32frombits(bits), bits)
						break
					}
				}
			}
		})
	}
}

func TestViewsAndScalars(t *testing.T) {
	sd, err := Load("testdata/noncontiguous.pth")
	if err != nil {
		t.Fatal(err)
	}
	// base = arange(20).reshape(4, 5)
	cases := map[string]struct {
		shape []int
		data  []float32
	}{
		"transposed": {[]int{5, 4}, []float32{0, 5, 10, 15, 1, 6, 11, 16, 2, 7, 12, 17, 3, 8, 13, 18, 4, 9, 14, 19}},
		"sliced":     {[]int{3, 3}, []float32{7, 8, 9, 12, 13, 14, 17, 18, 19}},
		"stepped":    {[]int{2, 2}, []float32{0, 3, 10, 13}},
		"expanded":   {[]int{2, 3}, []float32{1.5, -2, 3.25, 1.5, -2, 3.25}},
		"scalar":     {[]int{}, []float32{0.125}},
		"empty":      {[]int{0, 3}, []float32{}},
	}
	for name, c := range cases {
		got, _ := sd.Get(name)
		if !slices.Equal(got.Shape, c.shape) || !slices.Equal(got.Data, c.data) {
			t.Errorf("%s = %v %v, want %v %v", name, got.Shape, got.Data, c.shape, c.data)
		}
	}
}

func TestNumBatchesTrackedKeepsDType(t *testing.T) {
	for _, file := range []string{"tiny_fp32.pth", "tiny_fp16.pth"} {
		sd, err := Load(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		nbt, ok := sd.Get("features.1.num_batches_tracked")
		if !ok || nbt.DType != Int64 || nbt.DType.IsFloat() || len(nbt.Shape) != 0 || !slices.Equal(nbt.Data, []float32{2}) {
			t.Errorf("%s: num_batches_tracked = %+v", file, nbt)
		}
		w, _ := sd.Get("features.0.weight")
		if !w.DType.IsFloat() {
			t.Errorf("%s: weight dtype %v", file, w.DType)
		}
	}
}

func TestUnwrapping(t *testing.T) {
	plain, err := Load("testdata/tiny_fp32.pth")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"nested_state_dict.pth", "nested_model.pth", "module_prefix.pth"} {
		sd, err := Load(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sd.Keys, plain.Keys) {
			t.Errorf("%s: keys %v, want %v", file, sd.Keys, plain.Keys)
		}
		for _, k := range sd.Keys {
			if !slices.Equal(sd.Tensors[k].Data, plain.Tensors[k].Data) || sd.Tensors[k].Name != k {
				t.Errorf("%s: %s differs from tiny_fp32.pth", file, k)
			}
		}
	}
}

// halfReference decodes binary16 by its definition, independently of
// halfToFloat32's bit manipulation.
func halfReference(h uint16) float32 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, man := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0:
		return float32(sign * math.Ldexp(man, -24))
	case 0x1f:
		if man != 0 {
			return float32(math.NaN())
		}
		return float32(sign * math.Inf(1))
	}
	return float32(sign * math.Ldexp(1+man/1024, exp-15))
}

func TestHalfToFloat32Exhaustive(t *testing.T) {
	for i := 0; i <= 0xffff; i++ {
		h := uint16(i)
		got, want := halfToFloat32(h), halfReference(h)
		if math.IsNaN(float64(want)) {
			// NaN must stay NaN, with sign and payload carried over.
			if !math.IsNaN(float64(got)) || math.Float32bits(got)>>31 != uint32(h>>15) ||
				math.Float32bits(got)&0x7fffff != uint32(h&0x3ff)<<13 {
				t.Fatalf("half %#04x: got %#08x, want a NaN with the same sign and payload", h, math.Float32bits(got))
			}
			continue
		}
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("half %#04x: got %v (%#08x), want %v (%#08x)", h, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

func TestSqueezeNet(t *testing.T) {
	const path = "/work/shared/data/weights/squeezenet1_1_imagenet.pth"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skip(path + " not present")
	}
	sd, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	absSum := 0.0
	for _, k := range sd.Keys {
		tensor := sd.Tensors[k]
		total += len(tensor.Data)
		for _, v := range tensor.Data {
			absSum += math.Abs(float64(v))
		}
	}
	if len(sd.Keys) != 52 || total != 1235496 {
		t.Errorf("%d tensors, %d parameters; want 52, 1235496", len(sd.Keys), total)
	}
	// Reference values computed with PyTorch from the same file.
	if d := math.Abs(absSum - 45876.35770132234); d > 1e-6 {
		t.Errorf("sum of |w| = %v, want 45876.35770132234", absSum)
	}
	w, _ := sd.Get("features.0.weight")
	if !slices.Equal(w.Shape, []int{64, 3, 3, 3}) || w.DType != Float32 {
		t.Errorf("features.0.weight: shape %v dtype %v", w.Shape, w.DType)
	}
	for i, bits := range []uint32{0x3df7a000, 0x3e364000, 0xbc82c000} {
		if math.Float32bits(w.Data[i]) != bits {
			t.Errorf("features.0.weight[%d] = %#08x, want %#08x", i, math.Float32bits(w.Data[i]), bits)
		}
	}
	b, _ := sd.Get("classifier.1.bias")
	if !slices.Equal(b.Shape, []int{1000}) || math.Float32bits(b.Data[999]) != 0x3cffdd80 {
		t.Errorf("classifier.1.bias: shape %v, last %v", b.Shape, b.Data[len(b.Data)-1])
	}
}

func TestMatch(t *testing.T) {
	sd, err := Load("testdata/tiny_fp32.pth")
	if err != nil {
		t.Fatal(err)
	}
	var exact []Spec
	for _, k := range sd.Keys {
		exact = append(exact, Spec{k, sd.Tensors[k].Shape})
	}
	if err := sd.Match(exact); err != nil {
		t.Fatalf("exact specs: %v", err)
	}

	// A model that renamed the classifier, grew the stem and lost BN.
	want := []Spec{
		{"features.0.weight", []int{96, 3, 7, 7}},
		{"features.0.bias", []int{4}},
		{"features.1.num_batches_tracked", nil}, // scalar spelled as nil
		{"fc.weight", []int{3, 4}},
		{"fc.bias", []int{3}},
	}
	err = sd.Match(want)
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("Match error %v (%T), want *MismatchError", err, err)
	}
	if !slices.Equal(me.Missing, []string{"fc.weight", "fc.bias"}) {
		t.Errorf("Missing = %v", me.Missing)
	}
	wantUnexpected := []string{"features.1.weight", "features.1.bias", "features.1.running_mean",
		"features.1.running_var", "classifier.weight", "classifier.bias"}
	if !slices.Equal(me.Unexpected, wantUnexpected) {
		t.Errorf("Unexpected = %v, want %v", me.Unexpected, wantUnexpected)
	}
	if len(me.Shapes) != 1 || me.Shapes[0].Name != "features.0.weight" {
		t.Fatalf("Shapes = %v", me.Shapes)
	}
	msg := err.Error()
	for _, s := range []string{
		"testdata/tiny_fp32.pth",
		"features.0.weight: checkpoint has [4 3 3 3], model expects [96 3 7 7]",
		"missing keys (2): fc.weight, fc.bias",
		"unexpected keys (6): features.1.weight,",
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("error message lacks %q:\n%s", s, msg)
		}
	}
}

// mustFail loads b and checks the error names the file and contains every
// fragment in want.
func mustFail(t *testing.T, b []byte, want ...string) {
	t.Helper()
	sd, path, err := loadBytes(t, b)
	if err == nil {
		t.Fatalf("loaded %d tensors, want an error", len(sd.Keys))
	}
	if errors.Is(err, errDecoderPanic) {
		t.Errorf("error came from a recovered panic, not validation: %v", err)
	}
	for _, s := range append([]string{path}, want...) {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

// tinyPickle is the pickle inside the tiny_fp32.pth fixture.
const tinyPickle = "tiny_fp32/data.pkl"

// editPickle returns the tiny_fp32.pth fixture with its pickle changed by f.
func editPickle(t *testing.T, f func([]byte) []byte) []byte {
	return rezip(t, testenv.Testdata(t, "tiny_fp32.pth"), func(name string, data []byte) ([]byte, bool) {
		if name == tinyPickle {
			return f(bytes.Clone(data)), true
		}
		return data, true
	})
}

// TestRejectsBadArchives: files that are no PyTorch zip archive, or whose
// archive lacks or spoils an entry.
func TestRejectsBadArchives(t *testing.T) {
	good := testenv.Testdata(t, "tiny_fp32.pth")
	t.Run("empty", func(t *testing.T) { mustFail(t, nil, "empty") })
	t.Run("not zip", func(t *testing.T) { mustFail(t, []byte("hello, I am a text file"), "not a zip") })
	t.Run("legacy", func(t *testing.T) { mustFail(t, []byte("\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."), "legacy") })
	t.Run("no data.pkl", func(t *testing.T) {
		mustFail(t, rezip(t, good, func(name string, d []byte) ([]byte, bool) { return d, name != tinyPickle }), "data.pkl")
	})
	t.Run("torchscript", func(t *testing.T) {
		// torch.jit.save archives have constants.pkl beside data.pkl.
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		zr, _ := zip.NewReader(bytes.NewReader(good), int64(len(good)))
		for _, f := range zr.File {
			zw.Copy(f)
		}
		w, _ := zw.Create("tiny_fp32/constants.pkl")
		w.Write([]byte("\x80\x02)."))
		zw.Close()
		mustFail(t, buf.Bytes(), "TorchScript")
	})
	t.Run("missing storage entry", func(t *testing.T) {
		b := rezip(t, good, func(name string, d []byte) ([]byte, bool) { return d, name != "tiny_fp32/data/0" })
		mustFail(t, b, `"features.0.weight"`, "tiny_fp32/data/0 is missing")
	})
	t.Run("short storage entry", func(t *testing.T) {
		b := rezip(t, good, func(name string, d []byte) ([]byte, bool) {
			if name == "tiny_fp32/data/0" {
				return d[:len(d)-4], true
			}
			return d, true
		})
		mustFail(t, b, `"features.0.weight"`, "108 elements", "432 bytes", "holds 428 bytes")
	})
	t.Run("flipped weight bit", func(t *testing.T) {
		b := bytes.Clone(good)
		zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		for _, f := range zr.File {
			if f.Name == "tiny_fp32/data/3" {
				off, _ := f.DataOffset()
				b[off+5] ^= 0x10
			}
		}
		mustFail(t, b, "checksum")
	})
}

// TestRejectsBadPickles: archives whose pickle is forged or holds
// something other than a state_dict.
func TestRejectsBadPickles(t *testing.T) {
	t.Run("storage smaller than shape", func(t *testing.T) {
		// The first storage's element count, 108, is pickled as BININT1.
		b := editPickle(t, func(p []byte) []byte {
			i := bytes.Index(p, []byte{'K', 108, 't'})
			p[i+1] = 100
			return p
		})
		mustFail(t, b, `"features.0.weight"`, "needs 108 storage elements", `storage "0" holds 100`)
	})
	t.Run("element count beyond int32", func(t *testing.T) {
		// 2^32+108 as a 5-byte LONG1: too many for the file on 64-bit,
		// and on 32-bit not an int at all (gopickle would read it as 108).
		b := editPickle(t, func(p []byte) []byte {
			return bytes.Replace(p, []byte{'K', 108, 't'}, []byte{0x8a, 5, 108, 0, 0, 0, 1, 't'}, 1)
		})
		want := `storage "0" declares 4294967404 elements`
		if strconv.IntSize == 32 {
			want = "LONG of 5 bytes does not fit a 32-bit int"
		}
		mustFail(t, b, want)
	})
	t.Run("unknown storage type", func(t *testing.T) {
		b := editPickle(t, func(p []byte) []byte {
			return bytes.Replace(p, []byte("torch\nFloatStorage\n"), []byte("torch\nQInt8Storage\n"), 1)
		})
		mustFail(t, b, `"features.0.weight"`, "unsupported storage type torch.QInt8Storage")
	})
	t.Run("forged pickle length", func(t *testing.T) {
		// The first key is a BINUNICODE whose 4-byte length we inflate.
		b := editPickle(t, func(p []byte) []byte {
			i := bytes.Index(p, []byte("X\x11\x00\x00\x00features.0.weight"))
			copy(p[i+1:], []byte{0xf0, 0xff, 0xff, 0x7f})
			return p
		})
		mustFail(t, b, "data.pkl", "runs past the end")
	})
	t.Run("forged 8-byte length", func(t *testing.T) {
		b := editPickle(t, func([]byte) []byte { return []byte("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.") })
		mustFail(t, b, "runs past the end")
	})
	t.Run("non-tensor value", func(t *testing.T) {
		mustFail(t, testenv.Testdata(t, "bad_not_tensor.pth"), `key "step": expected a tensor, got int 3`)
	})
	t.Run("whole model", func(t *testing.T) {
		mustFail(t, testenv.Testdata(t, "bad_whole_model.pth"), `"model" holds object of class __main__.TinyNet`, "state_dict()")
	})
}

// TestTruncatedAnywhere cuts a fixture at every length: each must be a
// clean error.
func TestTruncatedAnywhere(t *testing.T) {
	for _, file := range []string{"tiny_fp16.pth", "noncontiguous.pth"} {
		b := testenv.Testdata(t, file)
		for n := 0; n < len(b); n++ {
			_, err := decode(bytes.NewReader(b[:n]), int64(n), file)
			if err == nil || errors.Is(err, errDecoderPanic) || !strings.Contains(err.Error(), file) {
				t.Fatalf("%s cut to %d bytes: err = %v", file, n, err)
			}
		}
	}
}

// fuzzSeeds are the fixtures: valid files the mutator can damage.
func fuzzSeeds(f *testing.F) [][]byte {
	paths, _ := filepath.Glob("testdata/*.pth")
	var seeds [][]byte
	for _, p := range paths {
		seeds = append(seeds, testenv.Testdata(f, filepath.Base(p)))
	}
	return seeds
}

// FuzzLoad feeds arbitrary bytes to the loader. It must return, never
// panic, and never need the recover() safety net.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := decode(bytes.NewReader(b), int64(len(b)), "fuzz.pth")
		checkFuzzResult(t, sd, err)
	})
}

// FuzzDataPickle fuzzes data.pkl alone, re-zipped with valid CRCs around the
// storages of tiny_fp32.pth. Whole-file mutations mostly stop at the CRC
// check, so this is what reaches the unpickler and the tensor validation.
func FuzzDataPickle(f *testing.F) {
	base := testenv.Testdata(f, "tiny_fp32.pth")
	for _, s := range fuzzSeeds(f) {
		zr, err := zip.NewReader(bytes.NewReader(s), int64(len(s)))
		if err != nil {
			continue
		}
		for _, e := range zr.File {
			if strings.HasSuffix(e.Name, "/data.pkl") {
				rc, _ := e.Open()
				p, _ := io.ReadAll(rc)
				rc.Close()
				f.Add(p)
			}
		}
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		b := rezip(t, base, func(name string, data []byte) ([]byte, bool) {
			if name == "tiny_fp32/data.pkl" {
				return p, true
			}
			return data, true
		})
		sd, err := decode(bytes.NewReader(b), int64(len(b)), "fuzz.pth")
		checkFuzzResult(t, sd, err)
	})
}

func checkFuzzResult(t *testing.T, sd *StateDict, err error) {
	if errors.Is(err, errDecoderPanic) {
		t.Fatal(err)
	}
	if err != nil {
		if sd != nil || !strings.Contains(err.Error(), "fuzz.pth") {
			t.Fatalf("error %v does not name the file, or came with a result", err)
		}
		return
	}
	// Whatever was accepted must be self-consistent.
	for _, k := range sd.Keys {
		tensor := sd.Tensors[k]
		n := 1
		for _, d := range tensor.Shape {
			n *= d
		}
		if tensor == nil || n != len(tensor.Data) {
			t.Fatalf("%s: shape %v with %d values", k, tensor.Shape, len(tensor.Data))
		}
	}
}
