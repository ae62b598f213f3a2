package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
)

// Models are the models measured by default: one of each family, at
// their own input sizes.
var Models = []string{"squeezenet1_1", "shiftresnet20", "efficientnet_b0"}

// syntheticCalibInputs is how many synthetic inputs calibrate a model
// measured at int8 without calibration images: enough for ranges of the
// right order, which is all timing needs.
const syntheticCalibInputs = 4

// weightSeed is the seed of the random weights models.Model.Load gives a
// model without weights.
const weightSeed = 1

// Options say what to measure.
type Options struct {
	Models     []string // zoo names or int8 model files
	Weights    string   // weights of a single named model; "" is seeded random weights
	Precisions []string // "fp32" and/or "int8"
	Threads    []int    // thread counts for int8 (fp32 runs on one)
	Warmup     int      // untimed runs before timing
	Runs       int      // timed runs (and as many profiled ones with Profile)
	Profile    bool     // measure the per-layer profile (Result.Layers)

	// Calibration of named models at int8: images of CalibDir (at most
	// CalibImages), or without CalibDir a few synthetic inputs.
	CalibDir       string
	CalibImages    int
	Method         string // a calib method name; "" is each model's own (models.Model.Ranges)
	BiasCorrection bool

	// Camera, if set, makes each int8 run classify the newest frame of
	// this camera SPEC and reports camera-to-logits latency; files and
	// folders play at CameraOptions.FPS (0: as fast as they decode),
	// looping.
	Camera        string
	CameraOptions camera.Options

	// Log gets a line on what runs now; nil discards it.
	Log io.Writer
	// Progress, if set, makes the progress callback of a count of units
	// ("images" calibrated, timed "runs").
	Progress func(unit string) func(done, total int)
}

func (o *Options) logf(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format, a...)
	}
}

func (o *Options) progress(unit string) func(done, total int) {
	if o.Progress != nil {
		if p := o.Progress(unit); p != nil {
			return p
		}
	}
	return func(done, total int) {}
}

// Result is one configuration's measurement.
type Result struct {
	Model     string `json:"model"`
	Precision string `json:"precision"`
	Input     string `json:"input"` // NxHxWxC
	Weights   string `json:"weights"`
	// Calibration says how the int8 model's ranges were chosen.
	Calibration string `json:"calibration,omitempty"`
	Kernels     string `json:"kernels"`
	// Threads is what was asked for; ThreadsUsed what the program runs on.
	Threads     int     `json:"threads"`
	ThreadsUsed int     `json:"threads_used"`
	Warmup      int     `json:"warmup"`
	Runs        int     `json:"runs"`
	MinMS       float64 `json:"min_ms"`
	MedianMS    float64 `json:"median_ms"`
	MaxMS       float64 `json:"max_ms"`
	MACs        int64   `json:"macs"`
	// Camera is the camera spec when the latencies are camera-to-logits.
	Camera   string  `json:"camera,omitempty"`
	GMACPerS float64 `json:"gmac_per_s"`
	// ActivationBytes is the int8 program's activation arena.
	ActivationBytes int     `json:"activation_bytes,omitempty"`
	Note            string  `json:"note,omitempty"`
	Layers          []Layer `json:"layers,omitempty"`
}

// Layer is one step of a per-layer profile.
type Layer struct {
	Name     string  `json:"name"`
	Kernel   string  `json:"kernel"`
	MedianMS float64 `json:"median_ms"`
	Share    float64 `json:"share"` // of the sum of the layers' medians
	MACs     int64   `json:"macs"`
	GMACPerS float64 `json:"gmac_per_s"`
}

// LayerSum is the sum of the layers' median times, in ms.
func (r *Result) LayerSum() float64 {
	var s float64
	for _, l := range r.Layers {
		s += l.MedianMS
	}
	return s
}

// Run measures every model of opt at every precision and thread count
// asked for, int8 on the kernel path.
func Run(opt Options, path dispatch.Path) ([]*Result, error) {
	var results []*Result
	for _, name := range opt.Models {
		rs, err := opt.model(name, path)
		if err != nil {
			return nil, err
		}
		results = append(results, rs...)
	}
	return results, nil
}

// model measures one model at every precision and thread count.
func (o *Options) model(name string, path dispatch.Path) ([]*Result, error) {
	m, err := o.open(name)
	if err != nil {
		return nil, err
	}
	var out []*Result
	for _, precision := range m.precisions {
		threadCounts := o.Threads
		if precision == "fp32" {
			threadCounts = []int{1}
		} else if m.int8 == nil {
			if m.int8, err = Quantize(m.zoo, m.float, *o); err != nil {
				return nil, err
			}
		}
		for _, threads := range threadCounts {
			res, err := o.measure(m, precision, path, threads)
			if err != nil {
				return nil, err
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// opened is a model to measure: a zoo model's float graph (and its int8
// version once made), or a model file's int8 model.
type opened struct {
	name       string
	zoo        models.Model
	float      *graph.Graph
	int8       *qnet.Model
	weights    string
	precisions []string
}

func (o *Options) open(name string) (*opened, error) {
	m := &opened{name: name, precisions: o.Precisions}
	if classify.IsModelFile(name) {
		var err error
		if m.int8, err = modelfile.Load(name); err != nil {
			return nil, err
		}
		m.weights = "model file " + name
		if slices.Contains(m.precisions, "fp32") {
			o.logf("%s is an int8 model file: fp32 skipped\n", name)
			m.precisions = []string{"int8"}
		}
		return m, nil
	}
	var err error
	if m.zoo, err = models.Lookup(name); err != nil {
		return nil, err
	}
	if m.float, err = m.zoo.Load(o.Weights); err != nil {
		return nil, err
	}
	m.weights = o.Weights
	if m.weights == "" {
		m.weights = fmt.Sprintf("seeded random (graph Randomize, seed %d)", weightSeed)
	}
	return m, nil
}

// measure compiles m at one precision and thread count and times it.
func (o *Options) measure(m *opened, precision string, path dispatch.Path, threads int) (*Result, error) {
	var r *runner
	var err error
	if precision == "fp32" {
		r, err = fp32Runner(m.float)
	} else {
		r, err = int8Runner(m.int8, path, threads)
		if err == nil && o.Camera != "" {
			err = r.withCamera(o.Camera, o.CameraOptions)
		}
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Model: m.name, Precision: precision, Weights: m.weights, Threads: threads,
		ThreadsUsed: r.threads, Warmup: o.Warmup, Runs: o.Runs, ActivationBytes: r.memory}
	if m.float != nil {
		in := m.float.InputShape()
		res.Input, res.Model = shapeString(in.N, in.H, in.W, in.C), m.zoo.Name
	} else {
		in := m.int8.Tensors[m.int8.Input].Shape
		res.Input, res.Model = shapeString(in.N, in.H, in.W, in.C), m.int8.Name
	}
	for _, s := range r.steps {
		res.MACs += s.macs
	}
	o.describe(res, r, m, path)
	o.logf("%s %s, %d thread(s)%s: %d warm-up, %d timed runs\n", res.Model, precision, r.threads, asked(threads, r.threads), o.Warmup, o.Runs)
	layerRuns := timeRuns(res, r, o.Profile, o.progress("runs"))
	if o.Profile {
		res.Layers = summarizeLayers(r.steps, layerRuns)
	}
	r.close()
	if r.err != nil {
		if err := r.err(); err != nil {
			return nil, fmt.Errorf("%s: %w", res.Model, err)
		}
	}
	return res, nil
}

// describe fills in the kernels, the calibration and the notes.
func (o *Options) describe(res *Result, r *runner, m *opened, path dispatch.Path) {
	switch res.Precision {
	case "fp32":
		res.Kernels = "fp32 reference engine"
		if slices.ContainsFunc(o.Threads, func(t int) bool { return t != 1 }) {
			res.Note = "fp32 engine is single-threaded"
		}
	case "int8":
		res.Kernels, res.Calibration = path.String(), m.int8.Calibration
		if res.Threads != r.threads {
			res.Note = fmt.Sprintf("%d threads asked; the %s path runs on %d", res.Threads, path, r.threads)
		}
		if o.Camera != "" {
			res.Camera = o.Camera
			res.Note = strings.TrimPrefix(res.Note+"; camera-to-logits latency", "; ")
		}
	}
}

func asked(threads, used int) string {
	if threads != used {
		return fmt.Sprintf(" (%d asked)", threads)
	}
	return ""
}

func shapeString(n, h, w, c int) string { return fmt.Sprintf("%dx%dx%dx%d", n, h, w, c) }

// Quantize makes the int8 version of the zoo model's graph g for timing:
// calibrated on the images of opt.CalibDir when set, else on a few
// synthetic inputs. The model's Calibration says which.
func Quantize(zoo models.Model, g *graph.Graph, opt Options) (*qnet.Model, error) {
	method, err := zoo.Ranges(opt.Method)
	if err != nil {
		return nil, err
	}
	if opt.CalibDir != "" {
		return ptq.QuantizeImages(g, ptq.Meta{Name: zoo.Name, Preprocess: zoo.Preprocess}, ptq.Calibration{Dir: opt.CalibDir,
			Limit: opt.CalibImages, Method: method, BiasCorrection: opt.BiasCorrection, Progress: opt.progress("images"), Log: opt.Log})
	}
	opt.logf("calibrating %s on %d synthetic inputs (timing only: no --calib)\n", zoo.Name, syntheticCalibInputs)
	c, err := ptq.NewCalibrator(g)
	if err != nil {
		return nil, err
	}
	x := make([]float32, g.InputShape().Elems())
	for i := range syntheticCalibInputs {
		syntheticInput(x, uint64(100+i))
		if err := c.Observe(x); err != nil {
			return nil, err
		}
	}
	note := fmt.Sprintf("%s ranges from %d synthetic inputs (timing only)", method, syntheticCalibInputs)
	return c.Quantize(ptq.Meta{Name: zoo.Name, Preprocess: zoo.Preprocess, Calibration: note}, method)
}

// syntheticInput fills x with seeded values shaped like a normalized
// image: normal, mean 0, standard deviation 1, clipped to ±3.
func syntheticInput(x []float32, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368))
	for i := range x {
		x[i] = float32(max(-3, min(3, rng.NormFloat64())))
	}
}

// Notes say where the results' numbers come from, once each: every
// model's weights and, at int8, its calibration.
func Notes(results []*Result) []string {
	var notes []string
	add := func(s string) {
		if !slices.Contains(notes, s) {
			notes = append(notes, s)
		}
	}
	for _, r := range results {
		add(r.Model + " weights: " + r.Weights)
		if r.Calibration != "" {
			add(r.Model + " int8 calibration: " + r.Calibration)
		}
	}
	return notes
}
