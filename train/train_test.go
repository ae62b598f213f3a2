package train

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/internal/testmodel"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
)

// fewShot are the CIFAR-10 classes of the small sets, as the fp32
// reference (scripts/golden/train_reference.py) names them.
var fewShot = []string{"airplane", "automobile", "bird"}

// cifarFolders links photos of cifar10-dev into class folders: for each
// class, its sorted photos [from, to) go into dir/<class>/.
func cifarFolders(t testing.TB, dir string, classes []string, from, to int) string {
	t.Helper()
	for _, c := range classes {
		src := testenv.SharedData(t, "images", "cifar10-dev", c)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries[from:min(to, len(entries))] {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, c, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// reference is the fp32 result of one experiment of
// scripts/golden/train_reference.py.
type reference struct {
	Classes  []string `json:"classes"`
	TrainAcc float64  `json:"train_acc"`
	TestAcc  float64  `json:"test_acc"`
	Test     []struct {
		File  string `json:"file"` // class/name, as in cifar10-dev
		Label int    `json:"label"`
		Pred  int    `json:"pred"`
	} `json:"test"`
}

func readReference(t testing.TB, experiment string) *reference {
	t.Helper()
	raw, err := os.ReadFile(testenv.Golden(t, "train", "train_reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Experiments map[string]*reference `json:"experiments"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ref := doc.Experiments[experiment]
	if ref == nil {
		t.Fatalf("train_reference.json has no experiment %s: run make golden", experiment)
	}
	return ref
}

// squeezeNetBackbone quantizes SqueezeNet 1.1 with the real ImageNet weights,
// calibrated on a few of the photos as neonet train does by default.
func squeezeNetBackbone(t testing.TB, photos string) *Backbone {
	t.Helper()
	cfg := Config{Backbone: "squeezenet1_1", Weights: testenv.SharedData(t, "weights", "squeezenet1_1_imagenet.pth"),
		Data: photos, CalibImages: 24}
	m, err := cfg.backbone()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBackbone(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compareWithReference logs the int8 head's held-out accuracy beside the
// fp32 reference's and fails if it is further than maxGap from it.
func compareWithReference(t testing.TB, name string, rep *Report, ref *reference, maxGap float64) {
	t.Helper()
	t.Logf("%s: int8 held-out accuracy %.2f%% (float head on the int8 embeddings %.2f%%, fp32 PyTorch reference %.2f%%) on %d photos; training %.2f%% (reference %.2f%%); int8 and float heads agree on %.1f%%; head %.2f s, %d iterations",
		name, 100*rep.Val.Accuracy, 100*rep.Val.FloatAccuracy, 100*ref.TestAcc, rep.Val.Photos, 100*rep.Train.Accuracy,
		100*ref.TrainAcc, 100*rep.Val.Agreement, rep.HeadSeconds, rep.Iterations)
	if rep.Val.Photos != len(ref.Test) {
		t.Fatalf("%s: %d held-out photos, the reference has %d", name, rep.Val.Photos, len(ref.Test))
	}
	if gap := math.Abs(rep.Val.Accuracy - ref.TestAcc); gap > maxGap+1e-9 {
		t.Errorf("%s: held-out accuracy %.2f%% is %.2f points from the fp32 reference's %.2f%%, allowed %.1f",
			name, 100*rep.Val.Accuracy, 100*gap, 100*ref.TestAcc, 100*maxGap)
	}
	if rep.Val.Agreement < 0.98 {
		t.Errorf("%s: the int8 head agrees with its float version on %.1f%% of photos, want 98%%", name, 100*rep.Val.Agreement)
	}
}

// On three CIFAR-10 classes, the softmax head on SqueezeNet 1.1's int8
// embeddings scores the fp32 PyTorch reference's held-out accuracy (150
// photos per class to train, 50 held out), and so does the imprinted head
// from 5 photos per class (195 held out); the trained model file gives
// the same accuracy through classify, as eval runs it.
func TestCIFAR3MatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	data := cifarFolders(t, filepath.Join(dir, "train"), fewShot, 0, 150)
	val := cifarFolders(t, filepath.Join(dir, "val"), fewShot, 150, 200)
	b := squeezeNetBackbone(t, data)
	m, rep, err := Train(b, mustSplit(t, data, val), Options{})
	if err != nil {
		t.Fatal(err)
	}
	compareWithReference(t, "3 classes, softmax", rep, readReference(t, "cifar3_softmax"), 0.02)
	checkRoundTrip(t, m, val, rep.Val.Accuracy)

	fewDir := t.TempDir()
	few := cifarFolders(t, filepath.Join(fewDir, "train"), fewShot, 0, 5)
	rest := cifarFolders(t, filepath.Join(fewDir, "val"), fewShot, 5, 200)
	_, rep, err = Train(b, mustSplit(t, few, rest), Options{Method: Imprint})
	if err != nil {
		t.Fatal(err)
	}
	compareWithReference(t, "3 classes, imprinted from 5 photos each", rep, readReference(t, "cifar3_imprint"), 0.02)
}

// mustSplit scans the class folders of dir and splits them: val is the
// folder of validation photos, "" for none.
func mustSplit(t testing.TB, dir, val string) *Set {
	t.Helper()
	classes, photos, err := ScanClasses(dir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Split(classes, photos, val, 0)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// mustBackbone loads an int8 model file and cuts its backbone.
func mustBackbone(t testing.TB, path string) (*qnet.Model, *Backbone) {
	t.Helper()
	m, err := LoadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBackbone(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}

// checkRoundTrip saves the model, loads it back and evaluates it on the
// class folders of dir as neonet eval does (labels matched by name): the
// accuracy must be the one the training reported.
func checkRoundTrip(t *testing.T, m *qnet.Model, dir string, want float64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trained.neonet")
	if err := modelfile.Save(path, m); err != nil {
		t.Fatal(err)
	}
	loaded, err := modelfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	samples, err := classify.ScanDataset(dir, models.LabelsFromNames(loaded.Labels))
	if err != nil {
		t.Fatal(err)
	}
	workers := make([]*classify.Classifier, runtime.NumCPU())
	for i := range workers {
		if workers[i], err = classify.NewInt8(loaded); err != nil {
			t.Fatal(err)
		}
	}
	_, sum := classify.Evaluate(samples, workers, nil)
	if sum.Top1 != want || sum.Failed != 0 {
		t.Errorf("the saved model scores %.4f through classify (%d failed), training reported %.4f", sum.Top1, sum.Failed, want)
	}
}

// The trained model computes, photo by photo, the logits of its int8 head
// on the embedding it was trained with: the backbone's pooled features
// reach the head unchanged.
func TestTrainedModelRunsItsHeadOnTheTrainingEmbeddings(t *testing.T) {
	dir := t.TempDir()
	data := cifarFolders(t, dir, []string{"cat", "ship"}, 0, 12)
	_, b := mustBackbone(t, testenv.Golden(t, "int8", "squeezenet1_1.neonet"))
	set := mustSplit(t, data, "")
	m, _, err := Train(b, set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path, _ := dispatch.Select()
	exs, err := newExtractors(b, path, 1)
	if err != nil {
		t.Fatal(err)
	}
	raw, failed := extract(t.Context(), exs, b.Dim(), set.Train, false, nil)
	if len(failed) > 0 {
		t.Fatal(failed)
	}
	pooled := m.Tensors[m.Nodes[len(m.Nodes)-1].Inputs[0]].Params
	pools, err := poolPrograms(b, pooled, path, 1)
	if err != nil {
		t.Fatal(err)
	}
	emb := pool(raw, pooled, pools)
	last := m.Nodes[len(m.Nodes)-1]
	head, err := headProgram("test", b.Dim(), pooled, last.Op.(*qnet.Linear), m.Tensors[m.Output].Params, path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := classify.NewInt8(m)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range set.Train {
		if err := c.LoadFile(p.Path); err != nil {
			t.Fatal(err)
		}
		got := c.Logits()
		copy(head.Input().Data, emb.q[i*b.Dim():][:b.Dim()])
		head.Run()
		if want := head.Logits(); !equal32(got, want) {
			t.Fatalf("%s: the model's logits %v, its head on the training embedding %v", p.Path, got, want)
		}
	}
}

func equal32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Photos that cannot be read are listed, skipped and counted; a class far
// smaller than the others is warned about; a class left without photos
// is an error naming it.
func TestUnreadablePhotosAreSkipped(t *testing.T) {
	dir := t.TempDir()
	data := cifarFolders(t, dir, []string{"cat", "ship"}, 0, 20)
	cifarFolders(t, dir, []string{"frog"}, 0, 3)
	broken := filepath.Join(data, "cat", "broken.jpg")
	if err := os.WriteFile(broken, []byte("not a photo"), 0o644); err != nil {
		t.Fatal(err)
	}
	jpeg, err := os.ReadFile(filepath.Join(data, "ship", "0000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(data, "ship", "truncated.jpg")
	if err := os.WriteFile(truncated, jpeg[:len(jpeg)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Backbone: testenv.Golden(t, "int8", "shiftresnet20.neonet"), Data: data, Out: filepath.Join(dir, "out.neonet")}
	_, rep, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 2 || rep.Skipped[0].Path != broken || rep.Skipped[1].Path != truncated ||
		!strings.Contains(rep.Skipped[1].Err, "truncated") {
		t.Errorf("skipped %+v, want the broken and the truncated photo", rep.Skipped)
	}
	if rep.Counts[0].Skipped != 1 || rep.Counts[0].Train != 20 || rep.Images != 43 {
		t.Errorf("counts %+v, %d photos", rep.Counts, rep.Images)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `"frog" has 3`) {
		t.Errorf("warnings %q, want one about frog", rep.Warnings)
	}
	var text strings.Builder
	rep.WriteText(&text)
	for _, want := range []string{"skipped " + broken, "2 unreadable photos skipped", "warning: class \"frog\"", "training accuracy"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
	if _, err := modelfile.Load(cfg.Out); err != nil {
		t.Error(err)
	}
	for _, f := range []string{"0000.jpg", "0001.jpg", "0002.jpg"} {
		if err := os.WriteFile(filepath.Join(data, "frog", f+".bad.jpg"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(data, "frog", f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), `class "frog" has no readable training photos (3 unreadable)`) {
		t.Errorf("a class of unreadable photos: error %v", err)
	}
}

// A backbone that is not an int8 model, or not given as the zoo expects,
// is refused with what to do instead.
func TestBadBackbones(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "photos")
	touch(t, data, "a/1.jpg", "b/1.jpg")
	text := filepath.Join(dir, "notes.neonet")
	if err := os.WriteFile(text, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Backbone: text}, "is not an int8 model file"},
		{Config{Backbone: filepath.Join(dir, "missing.neonet")}, "no such file"},
		{Config{Backbone: text, Weights: "w.pth"}, "drop --weights"},
		{Config{Backbone: "squeezenet1_1"}, "needs its weights"},
		{Config{Backbone: "alexnet", Weights: "w.pth"}, "alexnet"},
	} {
		tc.cfg.Data = data
		if _, _, err := Run(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("backbone %q: error %v, want one saying %q", tc.cfg.Backbone, err, tc.want)
		}
	}
	pth := testenv.SharedData(t, "weights", "squeezenet1_1_imagenet.pth")
	if _, _, err := Run(Config{Backbone: pth, Data: data}); err == nil || !strings.Contains(err.Error(), "--model squeezenet1_1 --weights") {
		t.Errorf("a PyTorch checkpoint as backbone: error %v", err)
	}
}

// Each zoo model's backbone ends at the features its classifier reads:
// SqueezeNet's last Fire module (pooled by the head), the pooled features
// of EfficientNet and ShiftResNet.
func TestBackboneFeatures(t *testing.T) {
	for _, tc := range []struct {
		file, features, classifier string
		pooled                     bool
		dim                        int
	}{
		{"squeezenet1_1.neonet", "features.12", "classifier.1", false, 512},
		{"efficientnet_b0.neonet", "flatten", "classifier.1", true, 1280},
		{"shiftresnet20.neonet", "flatten", "linear", true, 64},
	} {
		m, b := mustBackbone(t, testenv.Golden(t, "int8", tc.file))
		if b.FeatureName() != tc.features || b.Pooled() != tc.pooled || b.Dim() != tc.dim {
			t.Errorf("%s: features %s %v (pooled %v), want %s with %d values", tc.file, b.FeatureName(), b.Shape(), b.Pooled(), tc.features, tc.dim)
		}
		// Every node before the classifier is kept (these models are chains).
		if n := len(b.Cut.Nodes); n >= len(m.Nodes) || m.Nodes[n].Name != tc.classifier {
			t.Errorf("%s: the cut keeps %d of %d nodes, want all before %s", tc.file, n, len(m.Nodes), tc.classifier)
		}
		// A trained model is cut before its trained head: at the same features.
		set := &Set{Classes: []string{"a", "b"}}
		params := b.Cut.Tensors[b.Cut.Output].Params
		op := &qnet.Linear{Out: 2, Weights: make([]int8, 2*b.Dim()), WeightScales: []float32{1, 1}, Bias: []int32{0, 0}}
		trained, err := assemble(b, set.Classes, params, op, params, "test")
		if err != nil {
			t.Fatal(err)
		}
		again, err := NewBackbone(trained)
		if err != nil {
			t.Fatal(err)
		}
		if again.Dim() != tc.dim || !again.Pooled() || len(again.Cut.Nodes) != len(b.Cut.Nodes)+b2i(!b.Pooled()) {
			t.Errorf("%s trained: cut at %s %v", tc.file, again.FeatureName(), again.Shape())
		}
	}
}

// RunContext stops when its context ends: the error is the context's and
// no model file is written.
func TestRunContextStops(t *testing.T) {
	dir := t.TempDir()
	data := cifarFolders(t, filepath.Join(dir, "photos"), fewShot[:2], 0, 4)
	out := filepath.Join(dir, "m.neonet")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := RunContext(ctx, Config{Backbone: testmodel.File(t), Data: data, Out: out}); !errors.Is(err, context.Canceled) {
		t.Errorf("a stopped run: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a stopped run wrote %s: %v", out, err)
	}
	if _, rep, err := RunContext(t.Context(), Config{Backbone: testmodel.File(t), Data: data, Out: out}); err != nil || rep.Train.Photos != 8 {
		t.Errorf("a run: %v, %+v", err, rep)
	}
}
