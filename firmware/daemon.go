package firmware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/pipeline"
	"neonet.dev/neonet/qnet"
)

// Options say where a daemon's configuration is and what replaces its
// values (the flags of neonet run).
type Options struct {
	Config  string // the configuration file (DefaultConfigPath under systemd)
	Model   string // a model file instead of the configuration's
	Camera  string // a camera SPEC instead of the configuration's
	SimPins bool   // simulated pins, as gpio = "sim"
	// CameraOptions ask the camera for a frame rate; files and folders
	// play at it, and Loop starts them again at their end.
	CameraOptions camera.Options
	// Stdout gets the records and the transitions of simulated pins; nil
	// is os.Stdout.
	Stdout io.Writer
	// Outputs are more outputs beside the pins and the serial log.
	Outputs []Output
	// Openers open the outputs the configuration asks for ([http],
	// [mqtt]).
	Openers []OutputOpener
	// Stderr gets the openers' warnings; nil is os.Stderr.
	Stderr io.Writer
	// Frames stops the daemon after this many classified frames; 0 runs
	// until the context ends.
	Frames int
}

// staleAfter is how long the daemon waits for a frame before it reports
// the camera's last failure, if it has one, as a fault.
const staleAfter = 2 * time.Second

// Load reads the configuration file with o's replacements and its model,
// checks that the rules name classes of the model, and compiles it for
// the configured threads on the kernel path of this CPU.
func Load(o Options) (*Config, *pipeline.Model, error) {
	cfg, err := LoadConfig(o.Config)
	if err != nil {
		return nil, nil, err
	}
	if o.Model != "" {
		cfg.Model = o.Model
	}
	if o.Camera != "" {
		cfg.Camera = o.Camera
	}
	if o.SimPins {
		cfg.GPIO = "sim"
	}
	if cfg.Model == "" {
		return nil, nil, fmt.Errorf("%s: no model: set model = \"FILE\" or pass --model", o.Config)
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
	return cfg, pipeline.NewModel(prog), nil
}

// Daemon is neonet run as a library: a configuration's model, camera,
// pins and serial log, opened and ready to run.
type Daemon struct {
	Config  *Config
	Model   *pipeline.Model
	Camera  *pipeline.Camera
	Outputs *Outputs
	extra   []Output // opened by Options.Openers
	records chan *serlog.Record
	opt     Options
}

// Open loads the configuration and its model (Load), opens the pins (every
// one driven inactive) and the serial log, and starts the camera. Close
// the daemon on every way out.
func Open(o Options) (*Daemon, error) {
	cfg, model, err := Load(o)
	if err != nil {
		return nil, err
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	out, err := OpenOutputs(cfg, o.Stdout)
	if err != nil {
		return nil, err
	}
	cam, err := pipeline.OpenCamera(cfg.Camera, pipeline.CameraOptions{Options: o.CameraOptions, StaleAfter: staleAfter})
	if err != nil {
		out.Close() // pins safe, log flushed; the camera's error is the one to report
		return nil, err
	}
	d := &Daemon{Config: cfg, Model: model, Camera: cam, Outputs: out, opt: o, records: make(chan *serlog.Record, reportQueue)}
	d.extra, err = openExtra(o.Openers, OutputEnv{Config: cfg, Stderr: o.Stderr, Report: d.report})
	if err != nil {
		cam.Close()
		out.Close()
		return nil, err
	}
	return d, nil
}

// report queues a record from an output's goroutine for the loop.
func (d *Daemon) report(r *serlog.Record) {
	select {
	case d.records <- r:
	default:
	}
}

// String describes the daemon: model, kernels, camera, pins, and the
// outputs from Options.Openers that describe themselves (the web page's
// address).
func (d *Daemon) String() string {
	p := d.Model.Program()
	s := fmt.Sprintf("%s on %s, %d thread(s), kernels %s; camera %s; pins %s",
		d.Config.Model, p.Model().Name, p.Threads(), p.Kernels(), d.Camera, d.Config.GPIO)
	for _, o := range d.extra {
		if str, ok := o.(fmt.Stringer); ok {
			s += "; " + str.String()
		}
	}
	return s
}

// Run runs the loop (Run) under systemd's notifications until ctx ends,
// reloading the configuration and the model on every receive from reload:
// the new ones replace the running ones only if they pass their checks.
// It returns nil when ctx ends.
func (d *Daemon) Run(ctx context.Context, reload <-chan struct{}) error {
	deps := Deps{
		Camera: d.Camera, Classifier: d.Model, Outputs: slices.Concat(d.Outputs.List(), d.extra, d.opt.Outputs),
		Records:  d.records,
		Notifier: Systemd{}, WatchdogInterval: WatchdogInterval(), Reload: reload, ModelName: d.Config.Model,
		Load: func(context.Context) (*Pipeline, error) {
			cfg, m, err := Load(d.opt)
			if err != nil {
				return nil, err
			}
			return &Pipeline{Config: cfg, Classifier: m}, nil
		},
	}
	if d.opt.Frames > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		deps.Outputs = append(deps.Outputs, &frameLimit{left: d.opt.Frames, done: cancel})
	}
	err := Run(ctx, d.Config, deps)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return err
}

// Close closes the outputs from Options.Openers, stops the camera, drives
// every pin inactive, writes the queued records and closes the serial
// port.
func (d *Daemon) Close() error {
	return errors.Join(closeOutputs(d.extra), d.Camera.Close(), d.Outputs.Close())
}
