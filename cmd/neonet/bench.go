package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/internal/chart"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
	"neonet.dev/neonet/quant/ptq"
)

// benchModels are the models neonet bench runs by default: one of each
// family, at their own input sizes.
var benchModels = []string{"squeezenet1_1", "shiftresnet20", "efficientnet_b0"}

// syntheticCalibInputs is how many synthetic inputs calibrate a model
// benchmarked at int8 without --calib: enough for ranges of the right
// order, which is all timing needs.
const syntheticCalibInputs = 4

// weightSeed is the seed of the random weights models.Model.Load gives a
// model without --weights.
const weightSeed = 1

// benchFlags are neonet bench's options.
type benchFlags struct {
	modelFlags
	precisions   []string
	threads      []int
	warmup, runs int
	layers       bool
	asJSON       bool
	plot         string
	camera       string  // with a camera, int8 runs time camera-to-logits
	cameraFPS    float64 // the rate files and folders are read at
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--model NAME|FILE,...] [--precision fp32,int8] [--threads 1,2] [--runs N] [--layers] [--json] [--plot FILE.png]", `
Measure inference latency, in the spirit of ncnn's benchncnn: for each
model, precision and thread count, run --warmup untimed inferences, then
--runs timed ones, and print the minimum, median and maximum latency in
milliseconds, the model's multiply-accumulates (MACs) and the achieved
GMAC/s (MACs / median latency).

No weights are needed: a named model without --weights gets seeded random
weights (latency does not depend on their values), and its int8 version is
calibrated on a few synthetic inputs (or on --calib DIR). A model file from
'neonet quantize' runs at int8 as it is.

int8 runs on the kernel path the CPU supports best (ref, neon, neondot or
avx2; NEONET_KERNELS=ref|neon|neondot|avx2 forces one), shown in the
output. fp32 runs on the reference engine, which is single-threaded: its
rows always use one thread, whatever --threads says.

--layers adds a per-layer profile of every configuration (median time per
layer over --runs more runs made after the timed ones, its share of the
total, GMAC/s and the kernel that ran it); --plot draws it as a bar chart. Progress goes to stderr,
results to stdout; --json prints them as one JSON object.

Examples:
  neonet bench
  neonet bench --model squeezenet1_1 --precision int8 --threads 1,2 --runs 50
  neonet bench --model efficientnet_b0 --precision int8 --threads 1 --layers --plot effnet.png
  neonet bench --model squeezenet1_1.neonet --json
  NEONET_KERNELS=ref neonet bench --model shiftresnet20 --precision int8`, stdout)
	var bf benchFlags
	fs.StringVar(&bf.model, "model", strings.Join(benchModels, ","), "comma-separated model names (see 'neonet models') or int8 model files")
	fs.StringVar(&bf.weights, "weights", "", "weights for a single named model (.pth or the shiftresnet20 CSV folder);\nempty means seeded random weights")
	precisions := fs.String("precision", "fp32,int8", "comma-separated precisions: fp32, int8")
	threads := fs.String("threads", fmt.Sprintf("1,%d", runtime.NumCPU()), "comma-separated thread counts for int8 (fp32 is single-threaded)")
	fs.IntVar(&bf.warmup, "warmup", 2, "untimed runs before timing")
	fs.IntVar(&bf.runs, "runs", 10, "timed runs")
	fs.BoolVar(&bf.layers, "layers", false, "print a per-layer profile of each configuration")
	fs.BoolVar(&bf.asJSON, "json", false, "print the results as one JSON object")
	fs.StringVar(&bf.camera, "camera", "", "time camera-to-logits instead: each int8 run classifies the newest frame of this\ncamera SPEC (docs/camera.md), from its capture to the logits")
	fs.Float64Var(&bf.cameraFPS, "camera-fps", 30, "with --camera: frame rate to ask for; files and folders play at this rate (0: as fast as they decode)")
	fs.StringVar(&bf.plot, "plot", "", "draw the per-layer profile as a PNG bar chart (one file per configuration:\nFILE.png for one, FILE_MODEL_PRECISION_tN.png for several)")
	bf.registerCalib(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	if bf.camera != "" {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "precision" })
		if !given {
			*precisions = "int8"
		}
	}
	if err := bf.check(*precisions, *threads); err != nil {
		return err
	}
	if bf.camera != "" && slices.Contains(bf.precisions, "fp32") {
		return usageErrorf("--camera times the int8 path (the camera preprocesses into the int8 input): drop fp32 from --precision")
	}
	if !(bf.cameraFPS >= 0) || math.IsInf(bf.cameraFPS, 0) {
		return usageErrorf("--camera-fps must be a frame rate, got %v", bf.cameraFPS)
	}
	return bf.run(stdout, stderr)
}

// check validates the flags and parses the lists.
func (bf *benchFlags) check(precisions, threads string) error {
	for _, p := range splitList(precisions) {
		if p != "fp32" && p != "int8" {
			return usageErrorf("--precision %q: want fp32 and/or int8", p)
		}
		if !slices.Contains(bf.precisions, p) {
			bf.precisions = append(bf.precisions, p)
		}
	}
	if len(bf.precisions) == 0 {
		return usageErrorf("--precision is empty: want fp32 and/or int8")
	}
	for _, s := range splitList(threads) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return usageErrorf("--threads %q: want positive whole numbers, e.g. 1,2", s)
		}
		if !slices.Contains(bf.threads, n) {
			bf.threads = append(bf.threads, n)
		}
	}
	if len(bf.threads) == 0 {
		return usageErrorf("--threads is empty: want thread counts, e.g. 1,2")
	}
	switch {
	case bf.runs < 1:
		return usageErrorf("--runs %d: want at least 1", bf.runs)
	case bf.warmup < 0:
		return usageErrorf("--warmup %d: want 0 or more", bf.warmup)
	case len(splitList(bf.model)) == 0:
		return usageErrorf("--model is empty")
	case bf.plot != "" && !strings.EqualFold(filepath.Ext(bf.plot), ".png"):
		return usageErrorf("--plot %q: want a .png file", bf.plot)
	}
	if _, err := calib.ParseMethod(bf.method); err != nil {
		return usageError{err}
	}
	names := splitList(bf.model)
	for _, name := range names {
		file := isModelFile(name)
		if !file && looksLikePath(name) {
			_, err := os.Stat(name)
			return fmt.Errorf("model file %s: %w", name, err)
		}
		if file && len(bf.precisions) == 1 && bf.precisions[0] == "fp32" {
			return usageErrorf("%s is an int8 model file: it runs at --precision int8 only", name)
		}
		if file && bf.weights != "" {
			return usageErrorf("%s is a compiled model file: it holds its weights, drop --weights", name)
		}
		if !file {
			if _, err := models.Lookup(name); err != nil {
				return usageError{err}
			}
		}
	}
	if bf.weights != "" && len(names) != 1 {
		return usageErrorf("--weights belongs to one model: give a single --model with it")
	}
	if bf.calibDir != "" && !slices.Contains(bf.precisions, "int8") {
		return usageErrorf("--calib calibrates the int8 model: use it with --precision int8")
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// benchResult is one configuration's measurement.
type benchResult struct {
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
	ActivationBytes int          `json:"activation_bytes,omitempty"`
	Note            string       `json:"note,omitempty"`
	Layers          []layerTime  `json:"layers,omitempty"`
	layerRuns       [][]float64  // per layer, ms of each profiled run
	steps           []benchLayer // what each step is
}

// layerTime is one step of a per-layer profile.
type layerTime struct {
	Name     string  `json:"name"`
	Kernel   string  `json:"kernel"`
	MedianMS float64 `json:"median_ms"`
	Share    float64 `json:"share"` // of the sum of the layers' medians
	MACs     int64   `json:"macs"`
	GMACPerS float64 `json:"gmac_per_s"`
}

// benchLayer describes one step before it is timed.
type benchLayer struct {
	name, kernel string
	macs         int64
}

// machineInfo describes where the benchmark ran.
type machineInfo struct {
	CPU      string  `json:"cpu"`
	Cores    int     `json:"cores"`
	OS       string  `json:"os"`
	Arch     string  `json:"arch"`
	Go       string  `json:"go"`
	Kernels  string  `json:"int8_kernels"`
	LoadAvg1 float64 `json:"load_average_1min,omitempty"` // at the start, Linux only
}

// runner is one compiled program to time: run is an inference, profile
// one inference adding each step's time to d.
type runner struct {
	run func()
	// timed, if set, runs one inference and returns its latency as the
	// bench reports it (camera-to-logits), instead of timing run.
	timed   func() time.Duration
	input   []int8        // the int8 program's input (nil for fp32)
	program *qnet.Program // the int8 program (nil for fp32)
	err     func() error  // a failure during the runs (the camera's), if any
	profile func(d []time.Duration)
	steps   []benchLayer
	threads int
	memory  int
	close   func()
}

func (bf *benchFlags) run(stdout, stderr io.Writer) error {
	path, err := dispatch.Select()
	if err != nil {
		return err
	}
	machine := machineInfo{CPU: cpuModel(), Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Go: runtime.Version(), Kernels: path.String(), LoadAvg1: loadAverage()}
	fmt.Fprintf(stderr, "neonet bench: %s, %d cores, %s/%s, %s; int8 kernel path %s\n", machine.CPU, machine.Cores,
		machine.OS, machine.Arch, machine.Go, path)
	var results []*benchResult
	profile := bf.layers || bf.plot != ""
	for _, name := range splitList(bf.model) {
		rs, err := bf.benchModel(name, path, profile, stderr)
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	for _, r := range results {
		if profile {
			r.Layers = summarizeLayers(r.steps, r.layerRuns)
		}
	}
	if bf.plot != "" {
		if err := plotLayers(bf.plot, results, stderr); err != nil {
			return err
		}
	}
	if bf.asJSON {
		if !bf.layers {
			for _, r := range results {
				r.Layers = nil
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Machine machineInfo    `json:"machine"`
			Results []*benchResult `json:"results"`
		}{machine, results})
	}
	return printBench(stdout, machine, results, bf.layers)
}

// benchModel measures one --model entry at every precision and thread
// count asked for.
func (bf *benchFlags) benchModel(name string, path dispatch.Path, profile bool, stderr io.Writer) ([]*benchResult, error) {
	var (
		zoo       models.Model
		g         *graph.Graph
		qm        *qnet.Model
		weights   string
		calibNote string
	)
	precisions := bf.precisions
	if isModelFile(name) {
		var err error
		if qm, err = modelfile.Load(name); err != nil {
			return nil, err
		}
		weights, calibNote = "model file "+name, qm.Calibration
		if slices.Contains(precisions, "fp32") {
			fmt.Fprintf(stderr, "%s is an int8 model file: fp32 skipped\n", name)
			precisions = []string{"int8"}
		}
	} else {
		var err error
		if zoo, err = models.Lookup(name); err != nil {
			return nil, usageError{err}
		}
		if g, err = zoo.Load(bf.weights); err != nil {
			return nil, err
		}
		weights = bf.weights
		if weights == "" {
			weights = fmt.Sprintf("seeded random (graph Randomize, seed %d)", weightSeed)
		}
	}
	var out []*benchResult
	for _, precision := range precisions {
		threadCounts := bf.threads
		if precision == "fp32" {
			threadCounts = []int{1}
		} else if qm == nil {
			var err error
			if qm, calibNote, err = bf.quantizeForBench(zoo, g, stderr); err != nil {
				return nil, err
			}
		}
		for _, threads := range threadCounts {
			var r *runner
			var err error
			if precision == "fp32" {
				r, err = fp32Runner(g)
			} else {
				r, err = int8Runner(qm, path, threads)
				if err == nil && bf.camera != "" {
					err = bf.withCamera(r)
				}
			}
			if err != nil {
				return nil, err
			}
			res := &benchResult{Model: name, Precision: precision, Weights: weights, Threads: threads,
				ThreadsUsed: r.threads, Warmup: bf.warmup, Runs: bf.runs, steps: r.steps, ActivationBytes: r.memory}
			if g != nil {
				res.Model = zoo.Name
				in := g.InputShape()
				res.Input = fmt.Sprintf("%dx%dx%dx%d", in.N, in.H, in.W, in.C)
			} else {
				in := qm.Tensors[qm.Input].Shape
				res.Input = fmt.Sprintf("%dx%dx%dx%d", in.N, in.H, in.W, in.C)
				res.Model = qm.Name
			}
			for _, s := range r.steps {
				res.MACs += s.macs
			}
			switch precision {
			case "fp32":
				res.Kernels = "fp32 reference engine"
				if slices.ContainsFunc(bf.threads, func(t int) bool { return t != 1 }) {
					res.Note = "fp32 engine is single-threaded"
				}
			case "int8":
				res.Kernels, res.Calibration = path.String(), calibNote
				if threads != r.threads {
					res.Note = fmt.Sprintf("%d threads asked; the %s path runs on %d", threads, path, r.threads)
				}
				if bf.camera != "" {
					res.Camera = bf.camera
					res.Note = strings.TrimPrefix(res.Note+"; camera-to-logits latency", "; ")
				}
			}
			asked := ""
			if threads != r.threads {
				asked = fmt.Sprintf(" (%d asked)", threads)
			}
			fmt.Fprintf(stderr, "%s %s, %d thread(s)%s: %d warm-up, %d timed runs\n", res.Model, precision, r.threads, asked, bf.warmup, bf.runs)
			progress := func(done, total int) {}
			if isTerminal(stderr) {
				progress = progressPrinter(stderr, "runs")
			}
			timeRuns(res, r, profile, progress)
			r.close()
			if r.err != nil {
				if err := r.err(); err != nil {
					return nil, fmt.Errorf("%s: %w", res.Model, err)
				}
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// quantizeForBench makes the int8 version of g: calibrated on --calib
// images if given, else on a few synthetic inputs.
func (bf *benchFlags) quantizeForBench(m models.Model, g *graph.Graph, stderr io.Writer) (*qnet.Model, string, error) {
	if bf.calibDir != "" {
		qm, err := bf.quantize(m, g, nil, stderr)
		if err != nil {
			return nil, "", err
		}
		return qm, qm.Calibration, nil
	}
	method, err := calib.ParseMethod(bf.method)
	if err != nil {
		return nil, "", usageError{err}
	}
	fmt.Fprintf(stderr, "calibrating %s on %d synthetic inputs (timing only: no --calib)\n", m.Name, syntheticCalibInputs)
	c, err := ptq.NewCalibrator(g)
	if err != nil {
		return nil, "", err
	}
	x := make([]float32, g.InputShape().Elems())
	for i := range syntheticCalibInputs {
		syntheticInput(x, uint64(100+i))
		if err := c.Observe(x); err != nil {
			return nil, "", err
		}
	}
	note := fmt.Sprintf("%s ranges from %d synthetic inputs (timing only)", method, syntheticCalibInputs)
	qm, err := c.Quantize(ptq.Meta{Name: m.Name, Preprocess: m.Preprocess, Calibration: note}, method)
	return qm, note, err
}

// syntheticInput fills x with seeded values shaped like a normalized
// image: normal, mean 0, standard deviation 1, clipped to ±3.
func syntheticInput(x []float32, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368))
	for i := range x {
		x[i] = float32(max(-3, min(3, rng.NormFloat64())))
	}
}

// fp32Runner compiles g on the float engine.
func fp32Runner(g *graph.Graph) (*runner, error) {
	p, err := engine.Compile(g, engine.Options{Batch: 1})
	if err != nil {
		return nil, err
	}
	syntheticInput(p.Input().Data, 7)
	r := &runner{run: func() { p.Run() }, profile: p.RunProfiled, threads: 1, close: func() {}}
	for _, s := range p.Steps() {
		r.steps = append(r.steps, benchLayer{name: s.Name, kernel: s.Kind, macs: s.MACs})
	}
	return r, nil
}

// int8Runner compiles qm on the kernel path with the given threads.
func int8Runner(qm *qnet.Model, path dispatch.Path, threads int) (*runner, error) {
	p, err := qnet.CompileWith(qm, qnet.Options{Kernels: path, Threads: threads})
	if err != nil {
		return nil, err
	}
	x := make([]float32, qm.Tensors[qm.Input].Shape.Elems())
	syntheticInput(x, 7)
	if err := p.QuantizeInput(x); err != nil {
		return nil, err
	}
	r := &runner{run: p.Run, profile: p.RunProfiled, threads: p.Threads(), memory: p.Memory().Size, close: p.Close,
		input: p.Input().Data, program: p}
	for i, s := range p.Steps() {
		r.steps = append(r.steps, benchLayer{name: s.Name, kernel: s.Kernel, macs: qnet.NodeMACs(qm, &qm.Nodes[i])})
	}
	return r, nil
}

// timeRuns collects garbage, warms up, times res.Runs inferences one by
// one, and with profile runs as many profiled inferences for the
// per-layer table (the timed runs themselves carry no per-step clock
// reads).
func timeRuns(res *benchResult, r *runner, profile bool, progress func(done, total int)) {
	// Collect the garbage of compiling and calibrating now, so that no
	// collector runs beside the timed inferences (which allocate nothing).
	runtime.GC()
	for range res.Warmup {
		r.run()
	}
	total := res.Runs
	if profile {
		total *= 2
	}
	ms := make([]float64, res.Runs)
	for i := range ms {
		var d time.Duration
		if r.timed != nil {
			d = r.timed()
		} else {
			t0 := time.Now()
			r.run()
			d = time.Since(t0)
		}
		ms[i] = float64(d) / float64(time.Millisecond)
		progress(i+1, total)
	}
	res.MinMS, res.MedianMS, res.MaxMS = slices.Min(ms), median(ms), slices.Max(ms)
	if res.MedianMS > 0 {
		res.GMACPerS = float64(res.MACs) / (res.MedianMS / 1e3) / 1e9
	}
	if !profile {
		return
	}
	d := make([]time.Duration, len(r.steps))
	res.layerRuns = make([][]float64, len(r.steps))
	for run := range res.Runs {
		clear(d)
		r.profile(d)
		for i, t := range d {
			res.layerRuns[i] = append(res.layerRuns[i], float64(t)/float64(time.Millisecond))
		}
		progress(res.Runs+run+1, total)
	}
}

// median of xs (which it sorts).
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// summarizeLayers turns per-run step times into the per-layer profile.
func summarizeLayers(steps []benchLayer, runs [][]float64) []layerTime {
	layers := make([]layerTime, len(steps))
	var sum float64
	for i, s := range steps {
		layers[i] = layerTime{Name: s.name, Kernel: s.kernel, MACs: s.macs, MedianMS: median(runs[i])}
		sum += layers[i].MedianMS
	}
	for i := range layers {
		l := &layers[i]
		if sum > 0 {
			l.Share = l.MedianMS / sum
		}
		if l.MACs > 0 && l.MedianMS > 0 {
			l.GMACPerS = float64(l.MACs) / (l.MedianMS / 1e3) / 1e9
		}
	}
	return layers
}

// printBench writes the results table and, with layers, each profile.
func printBench(w io.Writer, machine machineInfo, results []*benchResult, layers bool) error {
	fmt.Fprintf(w, "machine: %s, %d cores, %s/%s, %s", machine.CPU, machine.Cores, machine.OS, machine.Arch, machine.Go)
	if machine.LoadAvg1 > 0 {
		fmt.Fprintf(w, ", load average %.2f at start", machine.LoadAvg1)
	}
	fmt.Fprintf(w, "\nint8 kernel path: %s (fastest this CPU supports unless %s says otherwise)\n", machine.Kernels, dispatch.EnvVar)
	var notes []string
	addNote := func(s string) {
		if s != "" && !slices.Contains(notes, s) {
			notes = append(notes, s)
		}
	}
	for _, r := range results {
		addNote(r.Model + " weights: " + r.Weights)
		if r.Calibration != "" {
			addNote(r.Model + " int8 calibration: " + r.Calibration)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tINPUT\tPRECISION\tKERNELS\tTHREADS\tRUNS\tMIN ms\tMEDIAN ms\tMAX ms\tMMACs\tGMAC/s\tNOTE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%s\n", r.Model, r.Input, r.Precision, r.Kernels,
			r.ThreadsUsed, r.Runs, r.MinMS, r.MedianMS, r.MaxMS, float64(r.MACs)/1e6, r.GMACPerS, r.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !layers {
		return nil
	}
	for _, r := range results {
		fmt.Fprintf(w, "\n%s %s, %d thread(s): per-layer median of %d profiled runs (sum %.2f ms)\n", r.Model, r.Precision, r.ThreadsUsed, r.Runs, layerSum(r.Layers))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tLAYER\tKERNEL\tms\tSHARE\tMMACs\tGMAC/s")
		for i, l := range r.Layers {
			gmacs := ""
			if l.MACs > 0 {
				gmacs = fmt.Sprintf("%.2f", l.GMACPerS)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.1f%%\t%.2f\t%s\n", i, l.Name, l.Kernel, l.MedianMS, 100*l.Share, float64(l.MACs)/1e6, gmacs)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func layerSum(ls []layerTime) float64 {
	var s float64
	for _, l := range ls {
		s += l.MedianMS
	}
	return s
}

// plotLayers draws each configuration's per-layer profile. The layers
// that together take half the time are highlighted.
func plotLayers(file string, results []*benchResult, stderr io.Writer) error {
	for _, r := range results {
		path := file
		if len(results) > 1 {
			ext := filepath.Ext(file)
			path = fmt.Sprintf("%s_%s_%s_t%d%s", strings.TrimSuffix(file, ext), r.Model, r.Precision, r.ThreadsUsed, ext)
		}
		order := make([]int, len(r.Layers))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(r.Layers[b].MedianMS, r.Layers[a].MedianMS) })
		hot := make([]bool, len(r.Layers))
		var cum float64
		for _, i := range order {
			if cum >= 0.5 {
				break
			}
			hot[i], cum = true, cum+r.Layers[i].Share
		}
		bars := make([]chart.Bar, len(r.Layers))
		for i, l := range r.Layers {
			bars[i] = chart.Bar{Label: l.Name + " [" + l.Kernel + "]", Value: l.MedianMS, Highlight: hot[i]}
		}
		title := fmt.Sprintf("%s %s, %s, %d thread(s): %.2f ms median (orange: half the time)", r.Model, r.Precision, r.Kernels, r.ThreadsUsed, r.MedianMS)
		if err := chart.SaveHorizontalBars(path, bars, chart.Options{Title: title, XLabel: "median time per layer (ms)"}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "per-layer profile chart written to %s\n", path)
	}
	return nil
}

// cpuModel is the CPU's name from /proc/cpuinfo ("model name", or on arm64
// boards the "Model" line), or the architecture where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	var model string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "model name":
			return strings.TrimSpace(value)
		case "Model":
			model = strings.TrimSpace(value)
		}
	}
	if model != "" {
		return model
	}
	return runtime.GOARCH
}

// loadAverage is the one-minute load average (Linux), or 0.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fields[0], 64)
	return v
}
