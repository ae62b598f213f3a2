package ptq

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"testing"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
)

// fidelity is how an int8 model compares with its float original.
type fidelity struct {
	images             int
	fp32Top1, int8Top1 int // correct answers, when labels are known
	agree              int // same top-1 class
	minCosine, cosine  float64
	// shuffled is the top-1 agreement expected of an error as large as
	// int8's but unrelated to the classes (see shuffledAgreement), summed
	// over the photos.
	shuffled float64
	layers   []*LayerError
}

// shuffledAgreement is how often fp32's top-1 class survives int8's error
// on these logits with the error's values shuffled over the classes: the
// agreement that an error of that size gives, whatever its structure,
// given how far apart fp32's top classes are. When it is as low as the
// measured agreement, the disagreements come from the error's size, not
// from a bias towards particular classes.
func shuffledAgreement(fp32, int8 []float32, seed uint64) float64 {
	const trials = 200
	rng := rand.New(rand.NewPCG(seed, 7))
	e, x := make([]float32, len(fp32)), make([]float32, len(fp32))
	for i := range e {
		e[i] = int8[i] - fp32[i]
	}
	top := classify.TopIndices(fp32, 1)[0]
	kept := 0
	for range trials {
		rng.Shuffle(len(e), func(i, j int) { e[i], e[j] = e[j], e[i] })
		for i := range x {
			x[i] = fp32[i] + e[i]
		}
		kept += btoi(classify.TopIndices(x, 1)[0] == top)
	}
	return float64(kept) / trials
}

// cosine is the cosine similarity of two logit vectors, each centred on its
// mean first: a constant offset common to all classes (which softmax
// ignores) must not make a poor match look good.
func cosine(a, b []float32) float64 {
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma, mb = ma/float64(len(a)), mb/float64(len(b))
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i])-ma, float64(b[i])-mb
		ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// measure quantizes g on calibPaths and runs samples through both models
// on all cores. Labels of -1 are unknown. With perLayer, the int8 model
// runs on the reference kernels with every tensor kept and f.layers gets
// each layer's error; without, it runs on this machine's fastest kernels.
func measure(t *testing.T, g *graph.Graph, spec preprocess.Spec, calibPaths []string, samples []classify.Sample, method calib.Method, perLayer bool) (*qnet.Model, fidelity) {
	t.Helper()
	c, err := Calibrate(g, spec, calibPaths, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	qm, err := c.Quantize(Meta{Name: g.Name}, method)
	if err != nil {
		t.Fatal(err)
	}
	workers := make([]logitPair, runtime.NumCPU())
	var first *Comparison
	for i := range workers {
		switch {
		case !perLayer:
			workers[i], err = newFastPair(g, qm)
		case i == 0:
			first, err = NewComparison(g, qm)
			workers[i] = first
		default:
			workers[i], err = first.Clone()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f := fidelity{images: len(samples), minCosine: 1}
	var mu sync.Mutex
	inputs := make([][]float32, len(workers))
	for i := range inputs {
		inputs[i] = make([]float32, spec.Len())
	}
	classify.Parallel(len(samples), len(workers), func(w, i int) {
		s := samples[i]
		img, err := preprocess.Decode(s.Path)
		if err == nil {
			err = spec.Tensor(img, inputs[w])
		}
		if err != nil {
			t.Error(err)
			return
		}
		fl, ql, err := workers[w].Add(inputs[w])
		if err != nil {
			t.Error(err)
			return
		}
		a, b := classify.TopIndices(fl, 1)[0], classify.TopIndices(ql, 1)[0]
		cos := cosine(fl, ql)
		shuffled := shuffledAgreement(fl, ql, uint64(i))
		mu.Lock()
		f.fp32Top1 += btoi(a == s.Label)
		f.int8Top1 += btoi(b == s.Label)
		f.agree += btoi(a == b)
		f.cosine += cos / float64(len(samples))
		f.minCosine = min(f.minCosine, cos)
		f.shuffled += shuffled
		mu.Unlock()
	}, nil)
	if perLayer {
		for _, w := range workers[1:] {
			first.Merge(w.(*Comparison))
		}
		f.layers = first.Layers
	}
	return qm, f
}

// logitPair runs one image through a float model and its int8 version and
// returns both logits.
type logitPair interface {
	Add(image []float32) (fp32, int8 []float32, err error)
}

// fastPair is a logitPair on the float engine and the fastest int8 kernels.
type fastPair struct {
	fp *engine.Program
	q  *qnet.Program
}

func newFastPair(g *graph.Graph, qm *qnet.Model) (*fastPair, error) {
	fp, err := engine.Compile(g, engine.Options{Batch: 1})
	if err != nil {
		return nil, err
	}
	q, err := qnet.CompileWith(qm, qnet.Options{Kernels: dispatch.Best(), Threads: 1})
	if err != nil {
		return nil, err
	}
	return &fastPair{fp: fp, q: q}, nil
}

func (p *fastPair) Add(image []float32) (fp32, int8 []float32, err error) {
	out, err := p.fp.RunInput(image)
	if err != nil {
		return nil, nil, err
	}
	if err := p.q.QuantizeInput(image); err != nil {
		return nil, nil, err
	}
	p.q.Run()
	return out.Data, p.q.Logits(), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// logWorstLayers reports the layers that lose the most.
func logWorstLayers(t *testing.T, layers []*LayerError, n int) {
	sorted := slices.Clone(layers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].SQNR() < sorted[j].SQNR() })
	for _, l := range sorted[:min(n, len(sorted))] {
		t.Logf("  SQNR %6.1f dB  %-40s %s", l.SQNR(), l.Name, l.Op)
	}
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(of) }

// summary is f's accuracy and agreement figures in words.
func (f fidelity) summary() string {
	return fmt.Sprintf("fp32 top-1 %.2f%%, int8 %.2f%%, agreement %.2f%% (%.1f%% with the error shuffled), logit cosine mean %.4f min %.4f",
		pct(f.fp32Top1, f.images), pct(f.int8Top1, f.images), pct(f.agree, f.images), 100*f.shuffled/float64(f.images), f.cosine, f.minCosine)
}

// devSet loads zoo model name with the shared weights file and lists the
// photos of the shared folder images/DATASET-dev: nCalib of them for
// calibration, and all of them.
func devSet(t *testing.T, name, weights, dataset string, nCalib int) (models.Model, *graph.Graph, []string, []classify.Sample) {
	t.Helper()
	data := testenv.SharedData(t)
	m, _ := models.Lookup(name)
	g, err := m.Load(filepath.Join(data, "weights", weights))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, "images", dataset+"-dev")
	calibPaths, err := CalibrationImages(dir, nCalib)
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := models.DefaultLabels(dataset)
	samples, err := classify.ScanDataset(dir, labels)
	if err != nil {
		t.Fatal(err)
	}
	return m, g, calibPaths, samples
}

// The real SqueezeNet 1.1, calibrated on 100 imagenet-dev images, keeps
// fp32's top-1 within a point and agrees with it on >= 95% of images.
func TestSqueezeNetInt8Accuracy(t *testing.T) {
	f := checkTop1(t, "squeezenet1_1", "squeezenet1_1_imagenet.pth", "imagenet", 100)
	if a := pct(f.agree, f.images); a < 95 {
		t.Errorf("int8 agrees with fp32 on %.1f%% of images, want >= 95%%", a)
	}
}

// The trained ShiftResNet-20, calibrated on 200 cifar10-dev images, keeps
// fp32's top-1 within a point on all 2,000.
func TestShiftResNet20Int8Accuracy(t *testing.T) {
	checkTop1(t, "shiftresnet20", "shiftresnet20_cifar10", "cifar10", 200)
}

// checkTop1 quantizes zoo model name with MSE ranges calibrated on nCalib
// photos of the dataset's dev folder (devSet), logs how int8 compares with
// fp32 on all of them, and fails the test when int8's top-1 is more than a
// point from fp32's.
func checkTop1(t *testing.T, name, weights, dataset string, nCalib int) fidelity {
	t.Helper()
	m, g, calibPaths, samples := devSet(t, name, weights, dataset, nCalib)
	_, f := measure(t, g, m.Preprocess, calibPaths, samples, calib.MSE, true)
	t.Logf("%s on %d %s-dev images: %s", name, f.images, dataset, f.summary())
	logWorstLayers(t, f.layers, 5)
	if d := math.Abs(pct(f.fp32Top1, f.images) - pct(f.int8Top1, f.images)); d > 1 {
		t.Errorf("int8 top-1 is %.2f points from fp32", d)
	}
	return f
}

// EfficientNet B0-B3 with PyTorch's seeded weights (no trained weights are
// available), on the sample photos and a spread of dev photos. The product
// goal is a logit cosine similarity >= 0.99 on every photo and the same
// top-1 class as fp32 on >= 90%; neonet does not reach it
// (docs/quantization.md has the figures and why: with these weights'
// close top classes, an error giving cosine 0.99 keeps the top class on
// only about 80% of photos). This test guards the level reached so far and
// logs the agreement an error of int8's size gives when shuffled over the
// classes.
func TestEfficientNetInt8Fidelity(t *testing.T) {
	data := testenv.SharedData(t)
	golden := testenv.Golden(t)
	raw, err := os.ReadFile(filepath.Join(golden, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Models map[string]struct {
			Files struct {
				StateDict string `json:"state_dict"`
			} `json:"files"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(data, "images", "imagenet-dev")
	calibPaths, err := CalibrationImages(dev, 32)
	if err != nil {
		t.Fatal(err)
	}
	evalPaths, err := CalibrationImages(filepath.Join(data, "images", "samples"), 0)
	if err != nil {
		t.Fatal(err)
	}
	spread, _ := CalibrationImages(dev, 300)
	for i := 3; i < len(spread); i += 10 { // every tenth dev image not used for calibration
		if !slices.Contains(calibPaths, spread[i]) {
			evalPaths = append(evalPaths, spread[i])
		}
	}
	var samples []classify.Sample
	for _, p := range evalPaths {
		samples = append(samples, classify.Sample{Path: p, Label: -1})
	}
	for _, name := range []string{"efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3"} {
		t.Run(name, func(t *testing.T) {
			m, _ := models.Lookup(name)
			g, err := m.Load(filepath.Join(golden, manifest.Models[name].Files.StateDict))
			if err != nil {
				t.Fatal(err)
			}
			_, f := measure(t, g, m.Preprocess, calibPaths, samples, calib.MSE, true)
			t.Logf("%s on %d photos: top-1 agreement %.1f%% (%.1f%% with the error shuffled over the classes), centred logit cosine mean %.4f min %.4f",
				name, f.images, pct(f.agree, f.images), 100*f.shuffled/float64(f.images), f.cosine, f.minCosine)
			logWorstLayers(t, f.layers, 6)
			if f.cosine < 0.98 || f.minCosine < 0.93 {
				t.Errorf("logit cosine similarity %.4f on average, %.4f at worst: below the 0.98 / 0.93 reached so far", f.cosine, f.minCosine)
			}
			if a := pct(f.agree, f.images); a < 60 {
				t.Errorf("int8 agrees with fp32 on %.1f%% of photos, below the 60%% reached so far", a)
			}
		})
	}
}

// EfficientNet-B0 int8 on photos not used for calibration: top-1 at most
// 1 point below fp32 and agreement with fp32's top-1 on at least 95% of
// the photos. The weights are TF Hub's, so the model is
// tf_efficientnet_b0 (TensorFlow's SAME padding, docs/models.md); with
// torchvision's padding (efficientnet_b0) the same weights lose 1.5
// points and agree on 94.5% (docs/quantization.md).
const (
	effnetTop1Loss  = 1.0
	effnetAgreement = 95.0
)

// EfficientNet-B0 with real ImageNet weights (TF Hub's, batch norm folded),
// quantized as `neonet quantize` does by default (the model's own range
// method, models.Model.Ranges) on 100 imagenet-dev photos, on the 200
// photos not used for calibration.
func TestEfficientNetB0Int8Accuracy(t *testing.T) {
	m, g, calibPaths, all := devSet(t, "tf_efficientnet_b0", "efficientnet_b0_tfhub.pth", "imagenet", 100)
	var held []classify.Sample
	for _, s := range all {
		if !slices.Contains(calibPaths, s.Path) {
			held = append(held, s)
		}
	}
	method, _ := m.Ranges("")
	_, f := measure(t, g, m.Preprocess, calibPaths, held, method, false)
	t.Logf("tf_efficientnet_b0 (%s ranges) on %d held-out imagenet-dev photos: %s", method, f.images, f.summary())
	if d := pct(f.fp32Top1, f.images) - pct(f.int8Top1, f.images); d > effnetTop1Loss {
		t.Errorf("int8 top-1 is %.2f points below fp32, want at most %.1f", d, effnetTop1Loss)
	}
	if a := pct(f.agree, f.images); a < effnetAgreement {
		t.Errorf("int8 agrees with fp32 on %.1f%% of photos, want >= %.0f%%", a, effnetAgreement)
	}
}
