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
// pipeline.Camera, or a test's fake). Next returns within a bounded time
// (pipeline.CameraOptions.StaleAfter): a frame, or why there is none.
type Camera interface {
	pipeline.Frames
	// Stats are the capture counters: frames dropped (nobody took them)
	// and skipped (unreadable), and the last of those.
	Stats() camera.Stats
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

// Install is a reload with a pipeline loaded elsewhere (the web page's
// teach panel loads the model it trained on its own goroutine): the loop
// checks it, switches to it and records it exactly as it does a reload.
type Install struct {
	// Pipeline is what was loaded; Err, if not nil, is why loading failed,
	// and the install is refused with it.
	Pipeline *Pipeline
	Err      error
	// Commit, if not nil, is called once the pipeline passed the checks,
	// just before the switch (moving the model file in place); its error
	// refuses the switch.
	Commit func() error
	// Done receives nil once the loop runs the pipeline, or why it does
	// not; it must have room for the answer.
	Done chan<- error
}

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
	Load             Loader         // needed for reloads
	Installs         <-chan Install // reloads with pipelines loaded elsewhere
	SysRoot          string         // root for /sys (temperature, throttling); default "/"
	// Throttle reads the board's throttling state; default
	// NewFirmwareThrottle(SysRoot).
	Throttle ThrottleSensor
	// Usage reads the process's CPU time and memory; default
	// ProcessUsage.
	Usage     func() (Usage, error)
	ModelName string // for the start and reload records
	// Records are made on the outputs' own goroutines (a broker that went
	// away); the loop hands each to every output, as its own.
	Records <-chan *serlog.Record
	// Started is when the daemon started, if it wrote its start record
	// itself (Daemon does, before it loads the model); zero: Run writes
	// it.
	Started time.Time
}

// heartbeatPeriod is the slowest the heartbeat pin toggles while frames
// flow, slow enough for an eye or a cheap logic probe.
const heartbeatPeriod = 250 * time.Millisecond

// workerWait bounds how long shutdown waits for an inference in progress.
const workerWait = 2 * time.Second

// healthInterval is how often the board's throttling state is read
// between status records.
const healthInterval = 5 * time.Second

// Run is the daemon's loop: capture -> classify -> decide -> pins and
// records, until ctx is cancelled (SIGTERM, SIGINT) or the camera's file
// ends (one that does not loop). Under a frame-rate budget (max_fps) the
// loop sleeps between frames, then takes the camera's newest. A board
// that starts throttling (under-voltage, heat) gets a fault record, with
// no effect on the pins. Camera and model failures light the
// fault pin, release every rule (their pins go safe) and are retried
// every RetryInterval, with a fault record at once and then every
// StatusInterval while they last. The watchdog is pinged as long as the
// loop runs, failures or not; a call into the camera or the model that
// has not returned after StallTimeout ends Run with an error, so that the
// service starts a fresh process. Every pin is driven inactive before Run
// returns.
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
	if deps.Throttle == nil {
		deps.Throttle = NewFirmwareThrottle(deps.SysRoot)
	}
	if deps.Usage == nil {
		deps.Usage = ProcessUsage
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
	levels     map[string]bool   // last level written to each pin
	work       chan<- Classifier // the worker takes a frame and classifies it with what it receives

	started     time.Time
	ready       bool   // READY=1 was sent: at the first frame, or the first fault
	classified  bool   // the first frame was classified (the ready record)
	frames      uint64 // frames classified since the start, for the stop record
	stats       intervalStats
	camera      camera.Stats // as of the last status record
	badFrames   uint64       // camera.Stats.BadFrames already recorded
	workSince   time.Time    // when the worker was given a frame to take; zero when it is idle
	due         time.Time    // when the last frame was due to be taken, under max_fps
	usage       Usage        // the process's, as of the last status record
	throttling  Throttling   // the board's state at the last reading
	throttleOK  bool         // throttling was read (the board has it)
	heartbeat   bool
	lastBeat    time.Time
	frame       Frame // what outputs see of the current frame
	faultSource string
	fault       faultState
}

// faultState is a failure of the camera or the model while it lasts.
type faultState struct {
	attempts   int       // consecutive failures
	lastRecord time.Time // of the last fault record
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
	d.work = work
	results := make(chan frameResult, 1)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		d.worker(workerCtx, work, results)
	}()
	stop := func(reason error) error { return d.shutdown(stopWorker, workerDone, reason) }

	d.begin(d.clock.Now())
	d.take(d.clock.Now())
	var retry, pace, edge, watchdog <-chan time.Time
	status := d.clock.After(d.cfg.StatusInterval)
	health := d.clock.After(healthInterval)
	if d.deps.WatchdogInterval > 0 {
		watchdog = d.clock.After(d.deps.WatchdogInterval)
	}
	for {
		select {
		case <-ctx.Done():
			return stop(nil)
		case r := <-results:
			d.workSince = time.Time{}
			if ctx.Err() != nil {
				return stop(nil)
			}
			d.recordSkipped()
			switch {
			case r.Err == nil:
				d.onFrame(r)
				pace = d.next()
			case errors.Is(r.Err, camera.ErrEndOfStream):
				return stop(errCameraEnded{r.Err})
			default:
				if err := d.onFault(r); err != nil {
					return stop(err)
				}
				retry = d.clock.After(d.cfg.RetryInterval)
			}
		case <-retry:
			retry = nil
			d.take(d.clock.Now())
		case <-pace:
			pace = nil
			d.take(d.due)
		case <-health:
			d.checkThrottling()
			health = d.clock.After(healthInterval)
		case <-edge:
			d.updatePins(d.clock.Now())
		case <-status:
			d.status()
			if err := d.stalled(); err != nil {
				return stop(err)
			}
			status = d.clock.After(d.cfg.StatusInterval)
		case <-watchdog:
			// The loop is alive: failures of the camera or the model are
			// handled here, so systemd has no reason to restart it. A call
			// that does not return ends the loop instead (stalled).
			d.notify("WATCHDOG=1")
			if err := d.stalled(); err != nil {
				return stop(err)
			}
			watchdog = d.clock.After(d.deps.WatchdogInterval)
		case <-d.deps.Reload:
			d.reload(ctx)
		case in := <-d.deps.Installs:
			in.Done <- d.swap(in.Pipeline, in.Err, in.Commit)
		case r := <-d.deps.Records:
			d.emit(r)
		}
		edge = d.nextEdge()
	}
}

// take hands the worker a frame to take, the camera's newest; due is
// when it was due under max_fps.
func (d *daemonState) take(due time.Time) {
	d.workSince = d.clock.Now()
	d.due = due
	d.work <- d.classifier
}

// next takes the next frame at once without a frame-rate budget, and
// otherwise returns a timer for when the budget allows it, or takes it at
// once if that time has come. Frames are due every 1/max_fps on a fixed
// grid, so that a late frame does not delay the ones after it; a frame
// more than a whole period late starts the grid afresh, so that frames
// never come in a burst.
func (d *daemonState) next() <-chan time.Time {
	now := d.clock.Now()
	period := d.cfg.FramePeriod()
	if period == 0 {
		d.take(now)
		return nil
	}
	due := d.due.Add(period)
	if due.Before(now.Add(-period)) {
		due = now
	}
	if !due.After(now) {
		d.take(due)
		return nil
	}
	d.due = due
	return d.clock.After(due.Sub(now))
}

// startRecord is the record of the daemon's start.
func startRecord(now time.Time, cfg *Config, model string) *serlog.Record {
	return serlog.New(now, "start").Str("model", model).Int("rules", int64(len(cfg.Rules))).Word("gpio", cfg.GPIO)
}

// stopRecord is the record of the daemon's end after frames classified
// frames; reason is why, nil for a signal.
func stopRecord(now, started time.Time, frames uint64, reason error) *serlog.Record {
	rec := serlog.New(now, "stop").Int("uptime_s", int64(now.Sub(started)/time.Second)).Int("frames", int64(frames))
	if reason != nil {
		rec.Str("reason", reason.Error())
	}
	return rec
}

// begin writes the start record (unless the daemon has), takes the
// camera's counters as they are and makes every pin safe.
func (d *daemonState) begin(now time.Time) {
	d.started = d.deps.Started
	if d.started.IsZero() {
		d.started = now
		d.emit(startRecord(now, d.cfg, d.deps.ModelName))
	}
	d.stats.reset(now)
	d.camera = d.deps.Camera.Stats()
	d.badFrames = d.camera.BadFrames
	d.usage, _ = d.deps.Usage()
	d.checkThrottling()
	d.safeAll(now)
}

// errCameraEnded is the end of a camera file or folder that does not
// loop: the daemon's run is over, without error.
type errCameraEnded struct{ error }

// stalled checks the frame the worker is taking: after half of
// StallTimeout (at most hungAfter) without a frame or a failure, the
// model is taken for hung, a fault (pins safe); after StallTimeout it
// returns the error that ends the daemon. The camera is not waited for
// that long: it reports its own trouble within a few seconds.
func (d *daemonState) stalled() error {
	if d.workSince.IsZero() {
		return nil
	}
	now := d.clock.Now()
	busy := now.Sub(d.workSince)
	if busy >= d.cfg.StallTimeout {
		return fmt.Errorf("camera %s and model: no frame and no failure for %v (a call that does not return): %s",
			d.deps.Camera, busy.Round(time.Second), exitForRestart)
	}
	if busy >= min(hungAfter, d.cfg.StallTimeout/2) && d.faultSource == "" {
		return d.onFault(frameResult{source: "model",
			Result: pipeline.Result{Err: fmt.Errorf("no frame and no failure for %v: inference does not return", busy.Round(time.Second))}})
	}
	return nil
}

// hungAfter is how long a frame may take before the model is taken for
// hung and the pins made safe.
const hungAfter = 10 * time.Second

// exitForRestart ends the message of an error that stops the daemon so
// that systemd starts a fresh process.
const exitForRestart = "exiting so that the service starts afresh"

// recordSkipped writes a skip record for frames the camera could not read
// since the last check.
func (d *daemonState) recordSkipped() {
	s := d.deps.Camera.Stats()
	if s.BadFrames <= d.badFrames {
		return
	}
	rec := serlog.New(d.clock.Now(), "skip").Word("source", "camera").Int("frames", int64(s.BadFrames-d.badFrames))
	if s.LastBadFrame != nil {
		rec.Str("error", s.LastBadFrame.Error())
	}
	d.emit(rec)
	d.badFrames = s.BadFrames
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
		d.emit(serlog.New(now, "recovered").Word("source", d.faultSource).Int("attempts", int64(d.fault.attempts)))
		d.faultSource, d.fault = "", faultState{}
		d.setPin(now, d.cfg.FaultPin, false)
		d.notify("STATUS=recovered: classifying again")
	}
	d.stats.add(r.Infer)
	d.frames++
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
	if !d.classified {
		d.classified = true
		d.emit(serlog.New(now, "ready").Int("frame", int64(r.frame.Seq)).Float("infer_ms", ms(r.Infer), 1))
		if !d.ready {
			d.ready = true
			d.notify("READY=1\nSTATUS=first frame classified")
		}
	}
}

// onFault handles a failure of the camera or the model: the first one
// makes everything safe; a fault record goes out at once, when the source
// changes and then every status interval. It returns an error for a call
// into the camera that has hung for StallTimeout.
func (d *daemonState) onFault(r frameResult) error {
	now := d.clock.Now()
	first := d.faultSource == ""
	changed := r.source != d.faultSource
	d.faultSource = r.source
	d.fault.attempts++
	status := fmt.Sprintf("STATUS=fault: %s: %v", r.source, r.Err)
	if first || changed || now.Sub(d.fault.lastRecord) >= d.cfg.StatusInterval {
		d.emit(serlog.New(now, "fault").Word("source", r.source).Str("error", r.Err.Error()).Int("attempt", int64(d.fault.attempts)))
		d.fault.lastRecord = now
		if d.ready {
			d.notify(status)
		}
	}
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
	}
	if !d.ready {
		// Started without a camera (or with one that fails at once): the
		// daemon is up and says why nothing is classified yet.
		d.ready = true
		d.notify("READY=1\n" + status)
	}
	var hung *pipeline.StalledError
	if errors.As(r.Err, &hung) && hung.For >= d.cfg.StallTimeout {
		return fmt.Errorf("%w: %s", r.Err, exitForRestart)
	}
	return nil
}

func (d *daemonState) status() {
	now := d.clock.Now()
	cam := d.deps.Camera.Stats()
	fps, infer := d.stats.fps(now), ms(d.stats.medianInfer())
	rec := serlog.New(now, "status").Float("fps", fps, 1).Float("infer_ms", infer, 1).
		Int("frames", int64(d.stats.frames)).Int("dropped", int64(cam.Dropped-d.camera.Dropped))
	if u, err := d.deps.Usage(); err == nil {
		if elapsed := now.Sub(d.stats.start); elapsed > 0 {
			rec.Float("cpu_pct", 100*float64(u.CPU-d.usage.CPU)/float64(elapsed), 1)
		}
		rec.Float("max_rss_mb", float64(u.MaxRSS)/(1<<20), 1)
		d.usage = u
	}
	if temp, err := SoCTemperature(d.deps.SysRoot); err == nil {
		rec.Float("temp_c", temp, 1)
	}
	if d.checkThrottling(); d.throttleOK {
		rec.Word("throttled", d.throttling.Hex())
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
	d.camera = cam
	d.stats.reset(now)
	if d.faultSource == "" {
		d.notify(fmt.Sprintf("STATUS=%.1f fps, inference %.1f ms", fps, infer))
	}
}

// checkThrottling reads the board's throttling state: a fault record
// when a condition starts (under-voltage, frequency capped, throttled,
// soft temperature limit), a recovered record when none is left. A board
// without the state, or a failed reading, leaves the state as it was.
func (d *daemonState) checkThrottling() {
	t, err := d.deps.Throttle.Throttling()
	if err != nil {
		return
	}
	now, was := t.Now(), d.throttling.Now()
	switch {
	case now&^was != 0:
		d.emit(serlog.New(d.clock.Now(), "fault").Word("source", "throttle").Str("error", now.String()).Word("throttled", t.Hex()))
	case now == 0 && was != 0:
		d.emit(serlog.New(d.clock.Now(), "recovered").Word("source", "throttle").Word("throttled", t.Hex()))
	}
	d.throttling, d.throttleOK = t, true
}

// reload loads the configuration and model again and switches to them
// only if they pass verify; otherwise the running ones stay.
func (d *daemonState) reload(ctx context.Context) {
	p, err := (*Pipeline)(nil), errors.New("no loader: reload is not supported")
	if d.deps.Load != nil {
		p, err = d.deps.Load(ctx)
	}
	d.swap(p, err, nil)
}

// swap is a reload's switch: unless loading failed (err), p replaces the
// running configuration and model if it passes verify and commit (when not
// nil) succeeds; otherwise the running ones stay. A reload record says
// which, and the error is returned.
func (d *daemonState) swap(p *Pipeline, err error, commit func() error) error {
	now := d.clock.Now()
	d.notify(reloadingState())
	defer d.notify("READY=1")
	if err == nil {
		err = d.verify(p)
	}
	if err == nil && commit != nil {
		err = commit()
	}
	if err != nil {
		d.emit(serlog.New(d.clock.Now(), "reload").Int("ok", 0).Str("error", err.Error()))
		d.notify("STATUS=reload failed, still running the previous model: " + err.Error())
		return err
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
	return nil
}

// verify checks a reloaded pipeline before it replaces the running one:
// the rules name classes of the new model, the pins and the camera are
// the ones already open (camera_fps and camera_size too; max_fps may
// change), the input size is the camera's, and one
// inference gives finite scores.
func (d *daemonState) verify(p *Pipeline) error {
	if p == nil || p.Config == nil || p.Classifier == nil {
		return errors.New("loader returned no configuration or no model")
	}
	if !slices.Equal(p.Config.Pins(), d.cfg.Pins()) || p.Config.GPIO != d.cfg.GPIO {
		return errors.New("the pins changed: restart the service to use new pins")
	}
	if p.Config.Camera != d.cfg.Camera {
		return fmt.Errorf("the camera changed from %q to %q: restart the service to use the new camera", d.cfg.Camera, p.Config.Camera)
	}
	if p.Config.CameraOptions() != d.cfg.CameraOptions() {
		return errors.New("camera_fps or camera_size changed: restart the service to ask the camera for them")
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

// shutdown makes the pins safe, writes the stop record and stops the
// worker. reason is why the daemon stops when it is not a signal: the
// camera's file ended (Run then returns nil), or the error Run returns.
func (d *daemonState) shutdown(stopWorker context.CancelFunc, workerDone <-chan struct{}, reason error) error {
	now := d.clock.Now()
	err := d.safeAll(now)
	d.emit(stopRecord(now, d.started, d.frames, reason))
	d.notify("STOPPING=1")
	stopWorker()
	select {
	case <-workerDone:
	case <-time.After(workerWait): // an inference that does not return must not hold the exit
	}
	var ended errCameraEnded
	if reason != nil && !errors.As(reason, &ended) {
		err = errors.Join(reason, err)
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
