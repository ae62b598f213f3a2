package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/pipeline"
	"neonet.dev/neonet/qnet"
)

// runner is one compiled program to time: run is an inference, profile
// one inference adding each step's time to d.
type runner struct {
	run func()
	// timed, if set, runs one inference and returns its latency as the
	// bench reports it (camera-to-logits), instead of timing run.
	timed   func() time.Duration
	program *qnet.Program // the int8 program (nil for fp32)
	err     func() error  // a failure during the runs (the camera's), if any
	profile func(d []time.Duration)
	steps   []step
	threads int
	memory  int
	close   func()
}

// step describes one step of a program before it is timed.
type step struct {
	name, kernel string
	macs         int64
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
		r.steps = append(r.steps, step{name: s.Name, kernel: s.Kind, macs: s.MACs})
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
	r := &runner{run: p.Run, profile: p.RunProfiled, threads: p.Threads(), memory: p.Memory().Size, close: p.Close, program: p}
	for i, s := range p.Steps() {
		r.steps = append(r.steps, step{name: s.Name, kernel: s.Kernel, macs: qnet.NodeMACs(qm, &qm.Nodes[i])})
	}
	return r, nil
}

// withCamera makes r's runs classify camera frames: each timed run waits
// for the newest frame, preprocesses it straight into the int8 input and
// runs the model, and reports the time from the frame's capture to the
// logits (what a detection waits for on a board). The camera loops over
// files and folders so that the runs never run out of frames.
func (r *runner) withCamera(spec string, opt camera.Options) error {
	if r.program == nil {
		return fmt.Errorf("--camera needs an int8 model")
	}
	opt.Loop = true
	cam, err := pipeline.OpenCamera(spec, pipeline.CameraOptions{Options: opt, StaleAfter: 2 * time.Second})
	if err != nil {
		return err
	}
	model := pipeline.NewModel(r.program)
	var frame camera.Frame
	var failed error
	next := func() time.Time {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := cam.Next(ctx, &frame)
		if err == nil {
			if err = model.Prepare(&frame); err != nil {
				err = fmt.Errorf("camera %s: %w", cam, err)
			}
		}
		if err != nil && failed == nil {
			failed = err
		}
		return frame.Time
	}
	infer := r.run
	r.run = func() { next(); infer() }
	r.timed = func() time.Duration {
		captured := next()
		infer()
		return time.Since(captured)
	}
	closeProgram := r.close
	r.close = func() {
		cam.Close()
		closeProgram()
	}
	r.err = func() error { return failed }
	return nil
}

// timeRuns collects garbage, warms up, times res.Runs inferences one by
// one, and with profile runs as many profiled inferences for the
// per-layer profile, whose times it returns per step (the timed runs
// themselves carry no per-step clock reads).
func timeRuns(res *Result, r *runner, profile bool, progress func(done, total int)) [][]float64 {
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
		return nil
	}
	d := make([]time.Duration, len(r.steps))
	layerRuns := make([][]float64, len(r.steps))
	for run := range res.Runs {
		clear(d)
		r.profile(d)
		for i, t := range d {
			layerRuns[i] = append(layerRuns[i], float64(t)/float64(time.Millisecond))
		}
		progress(res.Runs+run+1, total)
	}
	return layerRuns
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
func summarizeLayers(steps []step, runs [][]float64) []Layer {
	layers := make([]Layer, len(steps))
	var sum float64
	for i, s := range steps {
		layers[i] = Layer{Name: s.name, Kernel: s.kernel, MACs: s.macs, MedianMS: median(runs[i])}
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
