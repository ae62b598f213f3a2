package models

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/internal/testenv"
)

// goldenManifest is the part of testdata/golden/manifest.json (written by
// scripts/golden/make_golden.py with PyTorch) that the tests read.
type goldenManifest struct {
	Torch  string `json:"torch_version"`
	Models map[string]struct {
		Files struct {
			StateDict string `json:"state_dict"`
			Input     string `json:"input"`
			Logits    string `json:"logits"`
		} `json:"files"`
		InputShape      []int               `json:"input_shape"`
		NumClasses      int                 `json:"num_classes"`
		ParamCount      int                 `json:"param_count"`
		NamedParameters [][]json.RawMessage `json:"named_parameters"`
	} `json:"models"`
}

func readManifest(t *testing.T) (string, *goldenManifest) {
	t.Helper()
	dir := testenv.Golden(t)
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m goldenManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return dir, &m
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

// TestGoldenLogits loads each model's seeded .pth made by PyTorch, runs the
// images PyTorch ran, and compares the logits: within 1e-4 x max|logit| and
// the same top-5 classes in the same order.
func TestGoldenLogits(t *testing.T) {
	dir, manifest := readManifest(t)
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			entry, ok := manifest.Models[name]
			if !ok {
				t.Fatalf("no golden outputs for %s in %s", name, dir)
			}
			checkGolden(t, name, filepath.Join(dir, entry.Files.StateDict),
				filepath.Join(dir, entry.Files.Input), filepath.Join(dir, entry.Files.Logits), entry.InputShape[0])
		})
	}
}

// TestGoldenHalfPrecision loads a float16 checkpoint.
func TestGoldenHalfPrecision(t *testing.T) {
	dir, _ := readManifest(t)
	checkGolden(t, "squeezenet1_1", filepath.Join(dir, "squeezenet1_1.fp16.pth"),
		filepath.Join(dir, "squeezenet1_1.input.f32"), filepath.Join(dir, "squeezenet1_1.fp16.logits.f32"), 2)
}

func checkGolden(t *testing.T, name, weights, inputFile, logitsFile string, batch int) {
	m, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Load(weights)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := engine.Compile(g, engine.Options{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.RunInput(readF32(t, inputFile))
	if err != nil {
		t.Fatal(err)
	}
	want := readF32(t, logitsFile)
	if len(want) != len(out.Data) {
		t.Fatalf("%d logits, PyTorch has %d", len(out.Data), len(want))
	}
	classes := len(want) / batch
	for n := range batch {
		got, ref := out.Data[n*classes:(n+1)*classes], want[n*classes:(n+1)*classes]
		var maxAbs, maxDiff float64
		for i := range ref {
			maxAbs = max(maxAbs, math.Abs(float64(ref[i])))
			maxDiff = max(maxDiff, math.Abs(float64(got[i]-ref[i])))
		}
		t.Logf("image %d: max|logit| %.4g, max diff %.3g (%.2g relative)", n, maxAbs, maxDiff, maxDiff/maxAbs)
		if maxDiff > 1e-4*maxAbs {
			t.Errorf("image %d: logits differ by %.3g, more than 1e-4 x %.4g", n, maxDiff, maxAbs)
		}
		if a, b := topK(got, 5), topK(ref, 5); !slices.Equal(a, b) {
			t.Errorf("image %d: top-5 %v, PyTorch %v", n, a, b)
		}
	}
}

// topK returns the indices of the k largest values, largest first.
func topK(v []float32, k int) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] > v[b]:
			return -1
		case v[a] < v[b]:
			return 1
		}
		return 0
	})
	return idx[:k]
}

// TestNamedParametersMatchPyTorch compares every model's parameter list,
// names, shapes and order, with PyTorch's named_parameters().
func TestNamedParametersMatchPyTorch(t *testing.T) {
	_, manifest := readManifest(t)
	for _, name := range Names() {
		entry, ok := manifest.Models[name]
		if !ok {
			t.Errorf("no golden entry for %s", name)
			continue
		}
		m, _ := Lookup(name)
		g, err := m.Build(entry.NumClasses)
		if err != nil {
			t.Fatal(err)
		}
		var ours, theirs []string
		for _, p := range g.Params {
			if p.Trainable {
				ours = append(ours, fmt.Sprintf("%s %v", p.Name, p.Shape))
			}
		}
		for _, row := range entry.NamedParameters {
			var pname string
			var shape []int
			if len(row) != 2 || json.Unmarshal(row[0], &pname) != nil || json.Unmarshal(row[1], &shape) != nil {
				t.Fatalf("%s: bad named_parameters row %s", name, row)
			}
			theirs = append(theirs, fmt.Sprintf("%s %v", pname, shape))
		}
		if !slices.Equal(ours, theirs) {
			for i := range max(len(ours), len(theirs)) {
				a, b := at(ours, i), at(theirs, i)
				if a != b {
					t.Errorf("%s: parameter %d is %q, PyTorch has %q", name, i, a, b)
					break
				}
			}
		}
		if got := g.TrainableParams(); got != entry.ParamCount {
			t.Errorf("%s: %d parameters, PyTorch counts %d", name, got, entry.ParamCount)
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}
