package firmware

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/pipeline"
)

// Camera is the camera side: the newest frame each time (a
// pipeline.Camera, or a test's fake).
type Camera interface {
	pipeline.Frames
	// Dropped counts the frames the camera produced that nobody took.
	Dropped() uint64
	// String names the camera, for messages.
	String() string
}

// Classifier is the int8 model: it preprocesses a frame into its input
// and classifies it (a pipeline.Model, or a test's fake).
type Classifier interface {
	pipeline.Classifier
	Input() []int8    // the model's input buffer, filled by Prepare
	Labels() []string // every class name, in output order
}

// Pipeline is what a reload replaces: the configuration and the model.
type Pipeline struct {
	Config     *Config
	Classifier Classifier
}

// Loader reads the configuration file and loads its model again, for a
// reload (SIGHUP).
type Loader func(ctx context.Context) (*Pipeline, error)

// Deps is what Run works with. Camera and Classifier are required; the
// rest have defaults.
type Deps struct {
	Camera     Camera // closed by the caller after Run returns
	Classifier Classifier
	// Outputs get the frames, the pin levels and the records: the pins
	// and the serial log (Outputs.List), and any others.
	Outputs []Output

	Clock            Clock         // default RealClock
	Notifier         Notifier      // default none; Systemd{} under systemd
	WatchdogInterval time.Duration // WATCHDOG=1 period; 0 disables (see WatchdogInterval)
	Reload           <-chan struct{}
	Load             Loader // needed for reloads
	SysRoot          string // root for /sys (temperature); default "/"
	ModelName        string // for the start and reload records
	// Records are made on the outputs' own goroutines (a broker that went
	// away); the loop hands each to every output, as its own.
	Records <-chan *serlog.Record
}

// heartbeatPeriod is the slowest the heartbeat pin toggles while frames
// flow, slow enough for an eye or a cheap logic probe.
const heartbeatPeriod = 250 * time.Millisecond

// workerWait bounds how long shutdown waits for an inference in progress.
const workerWait = 2 * time.Second

// Run is the daemon's loop: capture -> classify -> decide -> pins and
// records, until ctx is cancelled (SIGTERM, SIGINT). Camera and model
// failures light the fault pin, release every rule (their pins go safe)
// and are retried every RetryInterval; a stalled pipeline stops the
// watchdog pings, so systemd restarts the service. Every pin is driven
// inactive before Run returns.
func Run(ctx context.Context, cfg *Config, deps Deps) error {
	if deps.Camera == nil || deps.Classifier == nil {
		return errors.New("firmware.Run: Camera and Classifier are required")
	}
	if err := cfg.ValidateLabels(deps.Classifier.Labels()); err != nil {
		return err
	}
	if deps.Clock == nil {
		deps.Clock = RealClock
	}
	if deps.Notifier == nil {
		deps.Notifier = nopNotifier{}
	}
	if deps.SysRoot == "" {
		deps.SysRoot = "/"
	}
	d := &daemonState{deps: deps, clock: deps.Clock, classifier: deps.Classifier, levels: map[string]bool{}}
	d.configure(cfg)
	return d.loop(ctx)
}

type nopNotifier struct{}

func (nopNotifier) Notify(string) error { return nil }

// frameResult is one pass of the worker: a classified frame or a failure.
type frameResult struct {
	pipeline.Result
	frame  *camera.Frame // the worker's frame, untouched until the next work
	source string        // "camera" or "model" when Err is set
}

type daemonState struct {
	deps       Deps
	cfg        *Config
	clock      Clock
	classifier Classifier
	detectors  []*Detector
	levels     map[string]bool // last level written to each pin

	started       time.Time
	ready         bool
	stats         intervalStats
	lastDropped   uint64
	framesForPing int // frames classified since the last watchdog ping
	heartbeat     bool
	lastBeat      time.Time
	faultSource   string // "" when healthy
	faultAttempts int
	frame         Frame // what outputs see of the current frame
}

func (d *daemonState) configure(cfg *Config) {
	d.cfg = cfg
	d.detectors = d.detectors[:0]
	for i := range cfg.Rules {
		d.detectors = append(d.detectors, NewDetector(&cfg.Rules[i]))
	}
	for _, o := range d.deps.Outputs {
		if c, ok := o.(Configurable); ok {
			c.Configure(cfg, d.classifier.Labels())
		}
	}
}

func (d *daemonState) loop(ctx context.Context) error {
	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	work := make(chan Classifier, 1)
	results := make(chan frameResult, 1)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		d.worker(workerCtx, work, results)
	}()

	now := d.clock.Now()
	d.started = now
	d.stats.reset(now)
	d.lastDropped = d.deps.Camera.Dropped()
	d.emit(serlog.New(now, "start").Str("model", d.deps.ModelName).Int("rules", int64(len(d.cfg.Rules))).Word("gpio", d.cfg.GPIO))
	d.safeAll(now)

	work <- d.classifier
	var retry, edge, watchdog <-chan time.Time
	status := d.clock.After(d.cfg.StatusInterval)
	if d.deps.WatchdogInterval > 0 {
		watchdog = d.clock.After(d.deps.WatchdogInterval)
	}
	for {
		select {
		case <-ctx.Done():
			return d.shutdown(stopWorker, workerDone)
		case r := <-results:
			if ctx.Err() != nil {
				return d.shutdown(stopWorker, workerDone)
			}
			if r.Err != nil {
				d.onFault(r)
				retry = d.clock.After(d.cfg.RetryInterval)
			} else {
				d.onFrame(r)
				work <- d.classifier
			}
		case <-retry:
			retry = nil
			work <- d.classifier
		case <-edge:
			d.updatePins(d.clock.Now())
		case <-status:
			d.status()
			status = d.clock.After(d.cfg.StatusInterval)
		case <-watchdog:
			// Only a pipeline that produced frames since the last ping is
			// alive; a stalled one lets systemd's watchdog fire.
			if d.framesForPing > 0 {
				d.notify("WATCHDOG=1")
			}
			d.framesForPing = 0
			watchdog = d.clock.After(d.deps.WatchdogInterval)
		case <-d.deps.Reload:
			d.reload(ctx)
		case r := <-d.deps.Records:
			d.emit(r)
		}
		edge = d.nextEdge()
	}
}

// worker captures and classifies one frame per classifier it receives, so
// the loop decides when the next frame is taken and which model runs it.
func (d *daemonState) worker(ctx context.Context, work <-chan Classifier, results chan<- frameResult) {
	stream := pipeline.Stream{Camera: d.deps.Camera, Now: d.clock.Now}
	for {
		var c Classifier
		select {
		case <-ctx.Done():
			return
		case c = <-work:
		}
		r := frameResult{Result: stream.Next(ctx, c), frame: &stream.Frame, source: "camera"}
		switch r.Stage {
		case pipeline.Prepare:
			r.Err = fmt.Errorf("camera %s: %w", d.deps.Camera, r.Err)
		case pipeline.Run:
			r.source = "model"
		}
		select {
		case results <- r:
		case <-ctx.Done():
			return
		}
	}
}

func (d *daemonState) onFrame(r frameResult) {
	now := d.clock.Now()
	if d.faultSource != "" {
		d.emit(serlog.New(now, "recovered").Word("source", d.faultSource).Int("attempts", int64(d.faultAttempts)))
		d.faultSource, d.faultAttempts = "", 0
		d.setPin(now, d.cfg.FaultPin, false)
	}
	d.stats.add(r.Infer)
	d.framesForPing++
	d.frame = Frame{Time: now, Seq: r.frame.Seq, Pixels: r.frame, Scores: r.Scores, Infer: r.Infer}
	for _, o := range d.deps.Outputs {
		o.Frame(&d.frame)
	}
	for i, det := range d.detectors {
		switch det.Observe(r.Scores, now) {
		case Activated:
			d.emit(serlog.New(now, "detect").Int("rule", int64(i+1)).Str("label", det.Label).
				Float("score", float64(det.Score), 2).Word("pin", det.Rule.Pin).Int("state", 1))
		case Released:
			d.emit(serlog.New(now, "release").Int("rule", int64(i+1)).Str("label", det.Label).
				Word("pin", det.Rule.Pin).Int("state", 0))
		}
	}
	d.updatePins(now)
	if now.Sub(d.lastBeat) >= heartbeatPeriod {
		d.heartbeat = !d.heartbeat
		d.lastBeat = now
		d.setPin(now, d.cfg.HeartbeatPin, d.heartbeat)
	}
	if !d.ready {
		d.ready = true
		d.emit(serlog.New(now, "ready").Int("frame", int64(r.frame.Seq)).Float("infer_ms", ms(r.Infer), 1))
		d.notify("READY=1\nSTATUS=first frame classified")
	}
}

func (d *daemonState) onFault(r frameResult) {
	now := d.clock.Now()
	first := d.faultSource == ""
	d.faultSource = r.source
	d.faultAttempts++
	d.emit(serlog.New(now, "fault").Word("source", r.source).Str("error", r.Err.Error()).Int("attempt", int64(d.faultAttempts)))
	if first {
		// Fail safe: nothing is seen while the camera or model is down.
		d.setPin(now, d.cfg.FaultPin, true)
		for i, det := range d.detectors {
			if det.Active() {
				d.emit(serlog.New(now, "release").Int("rule", int64(i+1)).Str("label", det.Label).
					Word("pin", det.Rule.Pin).Int("state", 0).Word("reason", "fault"))
			}
			det.Reset()
		}
		d.updatePins(now)
		d.setPin(now, d.cfg.HeartbeatPin, false)
		d.heartbeat = false
		d.notify(fmt.Sprintf("STATUS=fault: %s: %v", r.source, r.Err))
	}
}

func (d *daemonState) status() {
	now := d.clock.Now()
	dropped := d.deps.Camera.Dropped()
	fps, infer := d.stats.fps(now), ms(d.stats.medianInfer())
	rec := serlog.New(now, "status").Float("fps", fps, 1).Float("infer_ms", infer, 1).
		Int("frames", int64(d.stats.frames)).Int("dropped", int64(dropped-d.lastDropped))
	if temp, err := SoCTemperature(d.deps.SysRoot); err == nil {
		rec.Float("temp_c", temp, 1)
	}
	rec.Int("uptime_s", int64(now.Sub(d.started)/time.Second))
	for _, o := range d.deps.Outputs {
		if s, ok := o.(StatusReporter); ok {
			s.Status(rec)
		}
	}
	if d.faultSource != "" {
		rec.Word("fault", d.faultSource)
	}
	d.emit(rec)
	d.lastDropped = dropped
	d.stats.reset(now)
	if d.faultSource == "" {
		d.notify(fmt.Sprintf("STATUS=%.1f fps, inference %.1f ms", fps, infer))
	}
}

// reload loads the configuration and model again and switches to them
// only if they pass verify; otherwise the running ones stay.
func (d *daemonState) reload(ctx context.Context) {
	now := d.clock.Now()
	d.notify(reloadingState())
	defer d.notify("READY=1")
	var p *Pipeline
	err := errors.New("no loader: reload is not supported")
	if d.deps.Load != nil {
		p, err = d.deps.Load(ctx)
		if err == nil {
			err = d.verify(p)
		}
	}
	if err != nil {
		d.emit(serlog.New(d.clock.Now(), "reload").Int("ok", 0).Str("error", err.Error()))
		d.notify("STATUS=reload failed, still running the previous model: " + err.Error())
		return
	}
	for i, det := range d.detectors {
		if det.Active() {
			d.emit(serlog.New(now, "release").Int("rule", int64(i+1)).Str("label", det.Label).
				Word("pin", det.Rule.Pin).Int("state", 0).Word("reason", "reload"))
		}
	}
	d.classifier = p.Classifier
	d.configure(p.Config)
	d.updatePins(now)
	d.emit(serlog.New(d.clock.Now(), "reload").Int("ok", 1).Int("rules", int64(len(p.Config.Rules))))
}

// verify checks a reloaded pipeline before it replaces the running one:
// the rules name classes of the new model, the pins are the ones already
// open, the input size is the camera's, and one inference gives finite
// scores.
func (d *daemonState) verify(p *Pipeline) error {
	if p == nil || p.Config == nil || p.Classifier == nil {
		return errors.New("loader returned no configuration or no model")
	}
	if !slices.Equal(p.Config.Pins(), d.cfg.Pins()) || p.Config.GPIO != d.cfg.GPIO {
		return errors.New("the pins changed: restart the service to use new pins")
	}
	if err := p.Config.ValidateLabels(p.Classifier.Labels()); err != nil {
		return err
	}
	if got, want := len(p.Classifier.Input()), len(d.classifier.Input()); got != want {
		return fmt.Errorf("the new model takes %d input values, the camera delivers %d: restart the service", got, want)
	}
	scores, err := p.Classifier.Classify()
	if err != nil {
		return fmt.Errorf("trial inference: %w", err)
	}
	if len(scores) == 0 {
		return errors.New("trial inference gave no scores")
	}
	for _, s := range scores {
		if math.IsNaN(float64(s.Score)) || math.IsInf(float64(s.Score), 0) {
			return fmt.Errorf("trial inference gave score %v for %q", s.Score, s.Label)
		}
	}
	return nil
}

func (d *daemonState) shutdown(stopWorker context.CancelFunc, workerDone <-chan struct{}) error {
	now := d.clock.Now()
	err := d.safeAll(now)
	d.emit(serlog.New(now, "stop").Int("uptime_s", int64(now.Sub(d.started)/time.Second)))
	d.notify("STOPPING=1")
	stopWorker()
	select {
	case <-workerDone:
	case <-time.After(workerWait): // an inference that does not return must not hold the exit
	}
	return err
}

// updatePins writes every rule's level at now.
func (d *daemonState) updatePins(now time.Time) {
	for _, det := range d.detectors {
		d.setPin(now, det.Rule.Pin, det.Level(now))
	}
}

// nextEdge arms a timer for the earliest pulse end or blink toggle.
func (d *daemonState) nextEdge() <-chan time.Time {
	now := d.clock.Now()
	var next time.Time
	for _, det := range d.detectors {
		if t, ok := det.NextEdge(now); ok && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if next.IsZero() {
		return nil
	}
	return d.clock.After(next.Sub(now))
}

// setPin drives a pin when its level changes; "" is no pin. A failing pin
// is reported, not fatal: the other pins and the log keep working.
func (d *daemonState) setPin(now time.Time, name string, active bool) error {
	if name == "" {
		return nil
	}
	if level, ok := d.levels[name]; ok && level == active {
		return nil
	}
	var errs []error
	for _, o := range d.deps.Outputs {
		if err := o.Level(name, active); err != nil {
			d.emit(serlog.New(now, "fault").Word("source", "gpio").Word("pin", name).Str("error", err.Error()))
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		delete(d.levels, name) // unknown: try again next time
		return errors.Join(errs...)
	}
	d.levels[name] = active
	return nil
}

// safeAll drives every configured pin inactive.
func (d *daemonState) safeAll(now time.Time) error {
	var errs []error
	for _, p := range d.cfg.Pins() {
		delete(d.levels, p.Name)
		errs = append(errs, d.setPin(now, p.Name, false))
	}
	return errors.Join(errs...)
}

// emit hands a record to every output.
func (d *daemonState) emit(r *serlog.Record) {
	for _, o := range d.deps.Outputs {
		o.Record(r)
	}
}

func (d *daemonState) notify(state string) {
	if err := d.deps.Notifier.Notify(state); err != nil {
		d.emit(serlog.New(d.clock.Now(), "fault").Word("source", "systemd").Str("error", err.Error()))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
