package firmware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

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
	// CameraFPS, when not nil, replaces camera_fps; CameraWidth and
	// CameraHeight, when not 0, camera_size.
	CameraFPS                 *float64
	CameraWidth, CameraHeight int
	// Loop starts a video file or image folder camera again at its end.
	Loop bool
	// Stdout gets the records and the transitions of simulated pins; nil
	// is os.Stdout.
	Stdout io.Writer
	// Outputs are more outputs beside the pins and the serial log.
	Outputs []Output
	// Frames stops the daemon after this many classified frames; 0 runs
	// until the context ends.
	Frames int
	// Openers open the outputs the configuration asks for ([http],
	// [mqtt]).
	Openers []OutputOpener
	// Stderr gets the openers' warnings; nil is os.Stderr.
	Stderr io.Writer
}

// staleAfter is how long the daemon waits for a frame before it reports
// the camera's trouble (its last failure, or a call that hangs) as a
// fault; at least three frame intervals of a slow camera.
func staleAfter(fps float64) time.Duration {
	d := 2 * time.Second
	if fps > 0 {
		d = max(d, time.Duration(3*float64(time.Second)/fps))
	}
	return d
}

// cameraCloseWait bounds how long Close waits for the camera: a driver
// call that hangs must not keep a stopping daemon from exiting.
const cameraCloseWait = time.Second

// LoadConfig reads the configuration file with o's replacements.
func (o Options) LoadConfig() (*Config, error) {
	cfg, err := LoadConfig(o.Config)
	if err != nil {
		return nil, err
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
	if o.CameraFPS != nil {
		cfg.CameraFPS = *o.CameraFPS
	}
	if o.CameraWidth > 0 && o.CameraHeight > 0 {
		cfg.CameraWidth, cfg.CameraHeight = o.CameraWidth, o.CameraHeight
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("%s: no model: set model = \"FILE\" or pass --model", o.Config)
	}
	return cfg, nil
}

// Load reads the configuration file with o's replacements and its model
// (LoadModel).
func Load(o Options) (*Config, *pipeline.Model, error) {
	cfg, err := o.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	m, err := LoadModel(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, m, nil
}

// LoadModel loads the configuration's model file, checks that the rules
// name classes of the model, and compiles it for the configured threads
// on the kernel path of this CPU.
func LoadModel(cfg *Config) (*pipeline.Model, error) {
	m, err := modelfile.Load(cfg.Model)
	if err != nil {
		return nil, err
	}
	if err := cfg.ValidateLabels(m.Labels); err != nil {
		return nil, err
	}
	path, err := dispatch.Select()
	if err != nil {
		return nil, err
	}
	prog, err := qnet.CompileWith(m, qnet.Options{Kernels: path, Threads: cfg.Threads})
	if err != nil {
		return nil, err
	}
	return pipeline.NewModel(prog), nil
}

// Daemon is neonet run as a library: a configuration's model, camera,
// pins and serial log, opened and ready to run.
type Daemon struct {
	Config  *Config
	Model   *pipeline.Model
	Camera  *pipeline.Camera
	Outputs *Outputs
	opt     Options
	started time.Time // when the start record was written
	extra   []Output  // opened by Options.Openers
	records chan *serlog.Record
	// installs go to the loop; ended is closed when Run returns.
	installs chan Install
	ended    chan struct{}
	endOnce  sync.Once
}

// Open is OpenContext without a way to stop it early.
func Open(o Options) (*Daemon, error) { return OpenContext(context.Background(), o) }

// OpenContext reads the configuration, opens the pins (every one driven
// inactive, first, so that pins a dead process left active are safe at
// once) and the serial log, writes the start record, loads the model and
// starts the camera. A camera that is missing is no error: Run reports it
// as a fault and waits for it. If the model cannot be loaded, a fault and
// a stop record say why; if ctx ends first (SIGTERM during start-up),
// a stop record is written and ctx's error returned. Close the daemon on
// every way out of a successful open.
func OpenContext(ctx context.Context, o Options) (*Daemon, error) {
	cfg, err := o.LoadConfig()
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
	d := &Daemon{Config: cfg, Outputs: out, opt: o, started: time.Now(), records: make(chan *serlog.Record, reportQueue),
		installs: make(chan Install), ended: make(chan struct{})}
	d.record(startRecord(d.started, cfg, cfg.Model))
	Systemd{}.Notify("STATUS=loading model " + cfg.Model)
	if d.Model, err = loadModel(ctx, cfg); err != nil {
		if ctx.Err() == nil {
			d.record(serlog.New(time.Now(), "fault").Word("source", "model").Str("error", err.Error()))
		}
		return nil, d.abandon(err)
	}
	camOpt := cfg.CameraOptions()
	camOpt.Loop = o.Loop
	d.Camera, err = pipeline.OpenCamera(cfg.Camera, pipeline.CameraOptions{Options: camOpt,
		StaleAfter: staleAfter(camOpt.FPS), StartAbsent: true})
	if err != nil { // a SPEC that can never name a camera
		return nil, d.abandon(err)
	}
	d.extra, err = openExtra(o.Openers, OutputEnv{Config: cfg, Stderr: o.Stderr, Report: d.report, Install: d.Install})
	if err != nil {
		d.Camera.Close()
		return nil, d.abandon(err)
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

// record hands a record to every output, before Run does.
func (d *Daemon) record(r *serlog.Record) {
	for _, o := range append(d.Outputs.List(), d.opt.Outputs...) {
		o.Record(r)
	}
}

// abandon ends an open that failed or was stopped (err is then the
// context's): a stop record, pins safe, log flushed.
func (d *Daemon) abandon(err error) error {
	reason := err
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		reason = nil // a signal
	}
	d.record(stopRecord(time.Now(), d.started, 0, reason))
	return errors.Join(err, d.Outputs.Close())
}

// loadModel is LoadModel that returns when ctx ends, leaving the load to
// finish on its own.
func loadModel(ctx context.Context, cfg *Config) (*pipeline.Model, error) {
	type loaded struct {
		m   *pipeline.Model
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		m, err := LoadModel(cfg)
		done <- loaded{m, err}
	}()
	select {
	case l := <-done:
		return l.m, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
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
// It returns nil when ctx ends or the camera's file ends, and an error
// when the camera or the model hangs (stall_timeout).
func (d *Daemon) Run(ctx context.Context, reload <-chan struct{}) error {
	defer d.endOnce.Do(func() { close(d.ended) })
	deps := Deps{
		Camera: d.Camera, Classifier: d.Model, Outputs: slices.Concat(d.Outputs.List(), d.extra, d.opt.Outputs),
		Records:  d.records,
		Notifier: Systemd{}, WatchdogInterval: WatchdogInterval(), Reload: reload, Installs: d.installs, ModelName: d.Config.Model,
		Started: d.started,
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

// Install makes file the daemon's model, as a reload would with file in
// place of the configured model file: it reads the configuration file
// again, loads file with it (on the caller's goroutine, so the loop goes
// on meanwhile), and has the loop check them as it checks a reload. If
// they pass, file is renamed over the configured model file, the replaced
// file kept as PREFIX.previous.neonet (previousModel), and the loop
// switches to them; a restart then runs them too. Otherwise the running
// model and the files stay as they are, a reload record with ok=0 says
// why, and so does the error. file must be in the configured model
// file's folder (a rename does not cross file systems). It returns when
// the loop has answered, ctx ends or Run has returned.
func (d *Daemon) Install(ctx context.Context, file string) error {
	in := Install{}
	cfg, err := d.opt.LoadConfig()
	if err == nil {
		target := cfg.Model
		cfg.Model = file
		var m *pipeline.Model
		if m, err = LoadModel(cfg); err == nil {
			cfg.Model = target
			in.Pipeline = &Pipeline{Config: cfg, Classifier: m}
			in.Commit = func() error { return replaceModel(file, target) }
		}
	}
	done := make(chan error, 1)
	in.Err, in.Done = err, done
	select {
	case d.installs <- in:
	case <-ctx.Done():
		return ctx.Err()
	case <-d.ended:
		return errors.New("the daemon has stopped")
	}
	select { // the loop answers at once
	case err := <-done:
		return err
	case <-d.ended:
		return errors.New("the daemon has stopped")
	}
}

// previousModel is where a model file replaced by Daemon.Install is kept:
// "model.neonet" becomes "model.previous.neonet".
func previousModel(path string) string {
	return strings.TrimSuffix(path, ".neonet") + ".previous.neonet"
}

// replaceModel renames file over target, first linking target (when it
// exists) to previousModel(target): target always names a whole model file.
func replaceModel(file, target string) error {
	prev := previousModel(target)
	if err := os.Remove(prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keeping the previous model: %w", err)
	}
	if err := os.Link(target, prev); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keeping the previous model: %w", err)
	}
	if err := os.Rename(file, target); err != nil {
		return fmt.Errorf("installing the model: %w", err)
	}
	if dir, err := os.Open(filepath.Dir(target)); err == nil { // make the rename durable
		dir.Sync()
		dir.Close()
	}
	return nil
}

// Close closes the outputs from Options.Openers, stops the camera, drives
// every pin inactive, writes the queued records and closes the serial
// port. A camera whose driver call hangs is left behind after a second,
// with an error that says so.
func (d *Daemon) Close() error {
	closed := make(chan error, 1)
	go func() { closed <- d.Camera.Close() }()
	var err error
	select {
	case err = <-closed:
	case <-time.After(cameraCloseWait):
		err = fmt.Errorf("camera %s: not closed after %v (a driver call that does not return)", d.Camera, cameraCloseWait)
	}
	return errors.Join(closeOutputs(d.extra), err, d.Outputs.Close())
}
