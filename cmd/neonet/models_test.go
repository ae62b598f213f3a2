package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/models"
)

// TestSummaryRowsMatchPyTorch checks, for every model, that `neonet summary`
// prints exactly the rows of PyTorch's named_parameters() (name and element
// count, in order, from testdata/golden/manifest.json) and ends with the
// total.
func TestSummaryRowsMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.Golden(t), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Models map[string]struct {
			ParamCount      int                 `json:"param_count"`
			NamedParameters [][]json.RawMessage `json:"named_parameters"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, name := range models.Names() {
		entry, ok := manifest.Models[name]
		if !ok {
			t.Errorf("%s: not in the golden manifest", name)
			continue
		}
		var want []string
		for _, row := range entry.NamedParameters {
			var pname string
			var shape []int
			json.Unmarshal(row[0], &pname)
			json.Unmarshal(row[1], &shape)
			n := 1
			for _, d := range shape {
				n *= d
			}
			want = append(want, fmt.Sprintf("%s %d", pname, n))
		}
		code, out, errOut := neonet("summary", name)
		if code != 0 {
			t.Fatalf("summary %s: exit %d: %s", name, code, errOut)
		}
		var got []string
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		for _, line := range lines {
			cells := strings.Split(line, "|")
			if len(cells) != 4 || strings.TrimSpace(cells[1]) == "Modules" {
				continue
			}
			got = append(got, strings.TrimSpace(cells[1])+" "+strings.TrimSpace(cells[2]))
		}
		if !slices.Equal(got, want) {
			t.Errorf("summary %s: %d rows, PyTorch %d; first difference at %v", name, len(got), len(want), firstDiff(got, want))
		}
		if last := lines[len(lines)-1]; last != fmt.Sprintf("Total Trainable Params: %d", entry.ParamCount) {
			t.Errorf("summary %s: last line %q, PyTorch counts %d", name, last, entry.ParamCount)
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return fmt.Sprintf("row %d: %q vs %q", i, strings.Join(a[i:min(i+1, len(a))], ""), strings.Join(b[i:min(i+1, len(b))], ""))
		}
	}
	return "none"
}

// quantizeShiftResNet writes a small calibration folder and quantizes the
// trained ShiftResNet-20 with it, returning the model file's path.
func quantizeShiftResNet(t *testing.T) (modelFile, weights, calibDir string) {
	t.Helper()
	data := testenv.SharedData(t)
	weights = filepath.Join(data, "weights", "shiftresnet20_cifar10")
	calibDir = filepath.Join(data, "images", "cifar10-dev")
	modelFile = filepath.Join(t.TempDir(), "sr20.neonet")
	code, out, errOut := neonet("quantize", "--model", "shiftresnet20", "--weights", weights,
		"--calib", calibDir, "--calib-images", "40", "--out", modelFile)
	if code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "wrote "+modelFile) || !strings.Contains(errOut, "40/40 images") {
		t.Errorf("quantize output %q, progress %q", out, errOut)
	}
	return modelFile, weights, calibDir
}

func TestQuantizeInspectClassify(t *testing.T) {
	modelFile, weights, calibDir := quantizeShiftResNet(t)

	code, out, errOut := neonet("inspect", modelFile)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"shiftresnet20", "layer3.2.add", "crc32c:", "airplane", "40 images"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q", want)
		}
	}

	img := filepath.Join(calibDir, "ship", "0000.jpg")
	code, out, errOut = neonet("classify", "--model", modelFile, "--json", img)
	if code != 0 {
		t.Fatalf("classify int8: exit %d: %s", code, errOut)
	}
	var line struct {
		Top []struct {
			Label string  `json:"label"`
			Score float64 `json:"score"`
		} `json:"top"`
	}
	if err := json.Unmarshal([]byte(out), &line); err != nil || len(line.Top) != 5 || line.Top[0].Label == "" {
		t.Errorf("classify int8: %q (%v)", out, err)
	}

	// The same model quantized on the fly gives the same answer as its file.
	code, out2, errOut := neonet("classify", "--model", "shiftresnet20", "--weights", weights, "--precision", "int8",
		"--calib", calibDir, "--calib-images", "40", "--json", img)
	if code != 0 || out2 != out {
		t.Errorf("on-the-fly int8 (exit %d, %s) gives %q, the file %q", code, errOut, out2, out)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"classify", "--model", modelFile, "--precision", "fp32", img},
		{"classify", "--model", modelFile, "--weights", weights, img},
		{"classify", "--model", "shiftresnet20", "--precision", "int8", img},
		{"quantize", "--model", "shiftresnet20", "--out", "x.neonet"},
		{"quantize", "--model", "shiftresnet20", "--calib", calibDir, "--out", "x.neonet"},
		{"classify", "--model", modelFile, "--calib", calibDir, img},
		{"classify", "--model", "shiftresnet20", "--weights", weights, "--calib", calibDir, img},
		{"quantize", "--model", "shiftresnet20", "--weights", weights, "--calib", calibDir},
		{"eval", "--model", "shiftresnet20", "--data", calibDir, "--compare"},
	} {
		if code, _, errOut := neonet(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %s", args, code, errOut)
		}
	}
	// A corrupt model file is an error naming it.
	bad := filepath.Join(t.TempDir(), "bad.neonet")
	raw, _ := os.ReadFile(modelFile)
	raw[len(raw)/2] ^= 0x40
	os.WriteFile(bad, raw, 0o644)
	if code, _, errOut := neonet("inspect", bad); code != 1 || !strings.Contains(errOut, "bad.neonet") || !strings.Contains(errOut, "checksum") {
		t.Errorf("corrupt file: exit %d, %q", code, errOut)
	}
}

func TestEvalCompare(t *testing.T) {
	modelFile, weights, _ := quantizeShiftResNet(t)
	data := testenv.SharedData(t)
	dir := t.TempDir()
	for _, f := range []string{"cat/0000.jpg", "cat/0001.jpg", "ship/0000.jpg", "frog/0003.jpg"} {
		src, err := os.ReadFile(filepath.Join(data, "images", "cifar10-dev", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), src, 0o644)
	}
	plot := filepath.Join(t.TempDir(), "sqnr.png")
	code, out, errOut := neonet("eval", "--model", "shiftresnet20", "--weights", weights, "--data", dir,
		"--compare", "--int8", modelFile, "--plot", plot)
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"fp32", "int8", "top-1 agreement", "layer2.0.shortcut.0", "SQNR"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare output lacks %q:\n%s", want, out)
		}
	}
	if st, err := os.Stat(plot); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
	code, out, _ = neonet("eval", "--model", "shiftresnet20", "--weights", weights, "--data", dir, "--compare", "--int8", modelFile, "--json")
	var js struct {
		FP32      struct{ Top1 *float64 } `json:"fp32"`
		Int8      struct{ Top1 *float64 } `json:"int8"`
		Agreement *float64                `json:"top1_agreement"`
		Layers    []struct {
			Name string  `json:"name"`
			SQNR float64 `json:"sqnr_db"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != 0 || js.Agreement == nil || js.FP32.Top1 == nil || js.Int8.Top1 == nil || len(js.Layers) < 40 {
		t.Errorf("compare --json: exit %d, %v, %q", code, err, out)
	}
}
