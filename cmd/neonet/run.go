package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/qnet"
)

// runFlags are the daemon's command-line overrides of its configuration.
type runFlags struct {
	config, model, camera string
	sim, loop             bool
	frames                int
	duration              time.Duration
	fps                   float64
}

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "[--config FILE] [--sim] [--model FILE] [--camera SPEC] [--frames N] [--for D]", `
Run the firmware: classify the newest camera frame with the int8 model,
turn the rules of the configuration into GPIO pin states, and log every
decision as key=value records on the serial port and stdout. Under systemd
(deploy/systemd/neonet.service) it reports READY after the first frame,
pings the watchdog while frames are processed, and reloads configuration
and model on SIGHUP (a bad new model leaves the old one running). SIGTERM
or Ctrl-C drives every pin to its safe state and exits.

The configuration is described in docs/firmware.md and deploy/neonet.toml.
--model and --camera replace the file's values; --sim replaces the board's
pins with simulated ones that print their transitions.

Examples:
  neonet run                                     # /etc/neonet/neonet.toml, as systemd runs it
  neonet run --config deploy/demo.toml --sim --model squeezenet1_1.neonet \
      --camera ../shared/data/videos/Megamind.avi --for 30s`, stdout)
	var f runFlags
	fs.StringVar(&f.config, "config", firmware.DefaultConfigPath, "configuration file (TOML)")
	fs.StringVar(&f.model, "model", "", "int8 model file (neonet quantize), instead of the configuration's")
	fs.StringVar(&f.camera, "camera", "", "camera SPEC (docs/camera.md), instead of the configuration's")
	fs.BoolVar(&f.sim, "sim", false, `simulated pins that print their transitions (as gpio = "sim")`)
	fs.BoolVar(&f.loop, "loop", false, "start a video file or image folder camera again at its end")
	fs.Float64Var(&f.fps, "camera-fps", 30, "frame rate to ask the camera for; files and folders play at this rate")
	fs.IntVar(&f.frames, "frames", 0, "stop after this many classified frames (0: run until stopped)")
	fs.DurationVar(&f.duration, "for", 0, "stop after this long (0: run until stopped)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf("unexpected argument %q", pos[0])
	case f.frames < 0 || f.duration < 0:
		return usageErrorf("--frames and --for must not be negative")
	case !(f.fps >= 0) || math.IsInf(f.fps, 0):
		return usageErrorf("--camera-fps must be a frame rate, got %v", f.fps)
	}
	return f.run(stdout, stderr)
}

// load reads the configuration (with the flags' overrides) and its model,
// checks that the rules name classes of the model, and compiles it.
func (f *runFlags) load() (*firmware.Config, *modelClassifier, error) {
	cfg, err := firmware.LoadConfig(f.config)
	if err != nil {
		return nil, nil, err
	}
	if f.model != "" {
		cfg.Model = f.model
	}
	if f.camera != "" {
		cfg.Camera = f.camera
	}
	if f.sim {
		cfg.GPIO = "sim"
	}
	if cfg.Model == "" {
		return nil, nil, fmt.Errorf("%s: no model: set model = \"FILE\" or pass --model", f.config)
	}
	m, err := modelfile.Load(cfg.Model)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.ValidateLabels(m.Labels); err != nil {
		return nil, nil, err
	}
	path, err := dispatch.Select()
	if err != nil {
		return nil, nil, err
	}
	prog, err := qnet.CompileWith(m, qnet.Options{Kernels: path, Threads: cfg.Threads})
	if err != nil {
		return nil, nil, err
	}
	return cfg, newModelClassifier(prog), nil
}

func (f *runFlags) run(stdout, stderr io.Writer) error {
	cfg, model, err := f.load()
	if err != nil {
		return err
	}
	out, err := firmware.OpenOutputs(cfg, stdout)
	if err != nil {
		return err
	}
	defer out.Close() // pins safe and the log flushed, however Run ends

	opt := camera.Options{FPS: f.fps, Loop: f.loop}
	src, err := camera.Open(cfg.Camera, opt)
	if err != nil {
		return err
	}
	capture := newFrameCapture(src, model.prog)
	defer capture.Close()

	ctx, reload, stop := firmware.Signals(context.Background())
	defer stop()
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	var counted firmware.Capture = capture
	if f.frames > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		counted = &frameLimit{Capture: capture, left: f.frames, done: cancel}
	}
	fmt.Fprintf(stderr, "neonet run: %s on %s, %d thread(s), kernels %s; camera %s; pins %s\n",
		cfg.Model, model.prog.Model().Name, model.prog.Threads(), model.prog.Kernels(), src, cfg.GPIO)
	err = firmware.Run(ctx, cfg, firmware.Deps{
		Capture: counted, Classifier: model, Pins: out.PinMap(), Log: out.Log,
		Notifier: firmware.Systemd{}, WatchdogInterval: firmware.WatchdogInterval(),
		Reload: reload, ModelName: cfg.Model,
		Load: func(context.Context) (*firmware.Pipeline, error) {
			// The firmware switches to the new model only if it passes
			// its checks; the camera then preprocesses for it.
			next, m, err := f.load()
			if err != nil {
				return nil, err
			}
			capture.register(m.prog)
			return &firmware.Pipeline{Config: next, Classifier: m}, nil
		},
	})
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return err
}

// modelClassifier is an int8 program as the firmware's Classifier: every
// class's probability, in a slice reused from frame to frame.
type modelClassifier struct {
	prog   *qnet.Program
	labels []string
	probs  []float32
	scores []firmware.Score
}

func newModelClassifier(p *qnet.Program) *modelClassifier {
	m := p.Model()
	n := m.Tensors[m.Output].Shape.Elems()
	c := &modelClassifier{prog: p, labels: m.Labels, probs: make([]float32, n), scores: make([]firmware.Score, n)}
	for i := range c.scores {
		c.scores[i] = firmware.Score{Index: i, Label: fmt.Sprintf("class %d", i)}
		if i < len(m.Labels) {
			c.scores[i].Label = m.Labels[i]
		}
	}
	return c
}

func (c *modelClassifier) Input() []int8    { return c.prog.Input().Data }
func (c *modelClassifier) Labels() []string { return c.labels }

func (c *modelClassifier) Classify() ([]firmware.Score, error) {
	c.prog.Run()
	fp32.Softmax(c.probs, c.prog.Logits(), len(c.probs))
	for i, p := range c.probs {
		c.scores[i].Score = p
	}
	return c.scores, nil
}

// frameCapture is the camera as the firmware's Capture: the newest frame,
// preprocessed straight into the model's int8 input. A camera that fails
// is reopened by the grabber; while it fails, Next reports why, so the
// firmware lights its fault pin.
type frameCapture struct {
	grabber *camera.Grabber
	frame   camera.Frame

	mu       sync.Mutex
	programs map[*int8]*qnet.Program // by input buffer: the firmware hands Next its model's input
	prog     *qnet.Program           // the program pre was made for
	pre      *camera.Preprocessor

	failed atomic.Pointer[error]
}

// staleAfter is how long Next waits for a frame before reporting the
// camera's last failure (if it has one) to the firmware.
const staleAfter = 2 * time.Second

func newFrameCapture(src camera.Source, prog *qnet.Program) *frameCapture {
	c := &frameCapture{programs: map[*int8]*qnet.Program{}}
	c.register(prog)
	c.grabber = camera.NewGrabber(src, camera.GrabberOptions{
		OnError: func(err error, _ time.Duration) { c.failed.Store(&err) },
	})
	return c
}

// register makes p's input preprocessing known, for when the firmware
// switches to p after a reload (only once p has passed its checks). Only
// the running program and p are kept: a model that failed its checks is
// forgotten at the next reload.
func (c *frameCapture) register(p *qnet.Program) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := map[*int8]*qnet.Program{&p.Input().Data[0]: p}
	for in, q := range c.programs {
		if q == c.prog {
			keep[in] = q
		}
	}
	c.programs = keep
}

func (c *frameCapture) Next(ctx context.Context, input []int8) (uint64, error) {
	for {
		wait, cancel := context.WithTimeout(ctx, staleAfter)
		err := c.grabber.Latest(wait, &c.frame)
		cancel()
		if err == nil {
			c.failed.Store(nil)
			break
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return 0, err
		}
		if last := c.failed.Load(); last != nil {
			return 0, *last
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	prog := c.programs[&input[0]]
	if prog == nil {
		return 0, errors.New("camera: input buffer of an unknown model")
	}
	if w, h := c.frameSize(); prog != c.prog || c.pre == nil || w != c.frame.Width || h != c.frame.Height {
		c.prog = prog
		m := prog.Model()
		pre, err := camera.NewPreprocessor(m.Preprocess, m.Tensors[m.Input].Params, c.frame.Width, c.frame.Height)
		if err != nil {
			return 0, fmt.Errorf("camera %s: %w", c.grabber, err)
		}
		c.pre = pre
	}
	if err := c.pre.Run(input, &c.frame); err != nil {
		return 0, fmt.Errorf("camera %s: %w", c.grabber, err)
	}
	return c.frame.Seq, nil
}

func (c *frameCapture) frameSize() (int, int) {
	if c.pre == nil {
		return 0, 0
	}
	return c.pre.FrameSize()
}

func (c *frameCapture) Dropped() uint64 { return c.grabber.Stats().Dropped }

func (c *frameCapture) Close() error { return c.grabber.Close() }

// frameLimit ends the run after a number of frames (--frames).
type frameLimit struct {
	firmware.Capture
	left int
	done context.CancelFunc
}

func (l *frameLimit) Next(ctx context.Context, input []int8) (uint64, error) {
	if l.left == 0 {
		l.done()
		<-ctx.Done()
		return 0, ctx.Err()
	}
	l.left--
	return l.Capture.Next(ctx, input)
}
