package classify

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/models"
)

// pytorchEval is PyTorch's result on a dataset, written by
// scripts/golden/reference_eval.py.
type pytorchEval struct {
	Summary struct {
		Images int     `json:"images"`
		Top1   float64 `json:"top1"`
	} `json:"summary"`
	Results []struct {
		File  string `json:"file"` // relative to the dataset folder
		Label int    `json:"label"`
		Top5  []int  `json:"top5"`
	} `json:"results"`
}

// compareWithPyTorch evaluates model+weights on a shared dataset with
// neonet, and compares accuracy and per-image top-1 with PyTorch's run.
func compareWithPyTorch(t *testing.T, model, weights, dataset, reference string, maxTop1Gap, minAgreement float64) {
	ref := readPyTorchEval(t, reference)
	dir := testenv.SharedData(t, "images", dataset)
	results, sum := evaluateShared(t, model, weights, dir)
	if len(results) != ref.Summary.Images || len(ref.Results) != len(results) {
		t.Fatalf("%d images here, PyTorch evaluated %d", len(results), ref.Summary.Images)
	}
	byFile := make(map[string]Result, len(results))
	for _, r := range results {
		rel, _ := filepath.Rel(dir, r.Path)
		byFile[filepath.ToSlash(rel)] = r
	}
	agree := 0
	var disagreements []string
	for _, want := range ref.Results {
		got, ok := byFile[want.File]
		if !ok {
			t.Fatalf("PyTorch evaluated %s, not found here", want.File)
		}
		if got.Err != "" {
			t.Errorf("%s: %s", want.File, got.Err)
			continue
		}
		if got.Label != want.Label {
			t.Errorf("%s: label %d here, %d for PyTorch", want.File, got.Label, want.Label)
		}
		if got.Top[0] == want.Top5[0] {
			agree++
		} else {
			disagreements = append(disagreements, want.File)
		}
	}
	agreement := float64(agree) / float64(len(results))
	t.Logf("%s on %s: top-1 %.2f%% (PyTorch %.2f%%), top-5 %.2f%%, same top-1 class as PyTorch on %d/%d images (%.1f%%)",
		model, dataset, 100*sum.Top1, 100*ref.Summary.Top1, 100*sum.Top5, agree, len(results), 100*agreement)
	if len(disagreements) > 0 {
		t.Logf("top-1 differs on: %s", strings.Join(disagreements[:min(len(disagreements), 20)], ", "))
	}
	if gap := math.Abs(sum.Top1 - ref.Summary.Top1); gap > maxTop1Gap {
		t.Errorf("top-1 %.2f%% is %.2f points from PyTorch's %.2f%%, allowed %.2f", 100*sum.Top1, 100*gap, 100*ref.Summary.Top1, 100*maxTop1Gap)
	}
	if agreement < minAgreement {
		t.Errorf("same top-1 as PyTorch on %.1f%% of images, want at least %.1f%%", 100*agreement, 100*minAgreement)
	}
}

// readPyTorchEval reads a result of scripts/golden/reference_eval.py from
// the golden folder.
func readPyTorchEval(t *testing.T, name string) *pytorchEval {
	t.Helper()
	path := testenv.Golden(t, name)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref pytorchEval
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &ref
}

// evaluateShared evaluates a zoo model with weights from the shared data
// folder on the dataset in dir, one classifier per CPU.
func evaluateShared(t *testing.T, model, weights, dir string) ([]Result, Summary) {
	t.Helper()
	m, err := models.Lookup(model)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Load(testenv.SharedData(t, "weights", weights))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := models.DefaultLabels(m.Labels)
	if err != nil {
		t.Fatal(err)
	}
	samples, err := ScanDataset(dir, labels)
	if err != nil {
		t.Fatal(err)
	}
	workers := make([]*Classifier, runtime.NumCPU())
	if workers[0], err = New(g, m.Preprocess, labels.Names); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(workers); i++ {
		if workers[i], err = workers[0].Clone(); err != nil {
			t.Fatal(err)
		}
	}
	return Evaluate(samples, workers, nil)
}

// The real SqueezeNet 1.1 ImageNet weights score PyTorch's top-1 within a
// point and agree with PyTorch's top-1 class on at least 97% of images
// (JPEG decoders round differently; see preprocess's documentation).
func TestSqueezeNetImageNetDevMatchesPyTorch(t *testing.T) {
	compareWithPyTorch(t, "squeezenet1_1", "squeezenet1_1_imagenet.pth", "imagenet-dev",
		"squeezenet1_1_imagenet_dev.json", 0.01, 0.97)
}

// The trained ShiftResNet-20 scores PyTorch's CIFAR-10 top-1 within half a
// point.
func TestShiftResNet20CIFARDevMatchesPyTorch(t *testing.T) {
	compareWithPyTorch(t, "shiftresnet20", "shiftresnet20_cifar10", "cifar10-dev",
		"shiftresnet20_cifar10_dev.json", 0.005, 0.97)
}
