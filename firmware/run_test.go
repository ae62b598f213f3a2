package firmware

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/daemontest"
	"neonet.dev/neonet/pipeline"
)

var testLabels = []string{"tabby", "dog", "mailbag"}

func scores(pairs ...any) []Score {
	var s []Score
	for i := 0; i < len(pairs); i += 2 {
		label := pairs[i].(string)
		s = append(s, Score{Label: label, Index: slices.Index(testLabels, label), Score: float32(pairs[i+1].(float64))})
	}
	return s
}

// harness runs the daemon on fakes: scripted camera and model, simulated
// pins printing to pinLog, records to log, a fake systemd socket.
type harness struct {
	t        *testing.T
	clock    *fakeClock
	camera   *fakeCamera
	model    *fakeModel
	pinLog   *syncBuffer
	log      *syncBuffer
	notify   *daemontest.NotifySocket
	reload   chan struct{}
	throttle *fakeThrottle // the board's throttling state, unless the test gives its own
	cancel   context.CancelFunc
	done     chan error
}

func startDaemon(t *testing.T, config string, deps Deps) *harness {
	t.Helper()
	cfg, err := ParseConfig("test.toml", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryInterval = 0 // retry at once: the fake clock only moves with frames
	h := &harness{t: t, clock: newFakeClock(), pinLog: &syncBuffer{}, log: &syncBuffer{}, reload: make(chan struct{}), done: make(chan error, 1)}
	h.notify = newNotifySocket(t)
	h.camera = newFakeCamera(h.clock)
	h.model = &fakeModel{camera: h.camera, labels: testLabels, input: make([]int8, 16)}
	sim := *cfg // the configuration's pins, simulated; Run compares reloads with cfg as written
	sim.GPIO = "sim"
	set, err := OpenPins(&sim, h.pinLog)
	if err != nil {
		t.Fatal(err)
	}
	logger := serlog.NewLogger(1000, h.log)
	deps.Outputs = append([]Output{PinOutput{Pins: set}, LogOutput{Log: logger}}, deps.Outputs...)
	deps.Camera, deps.Classifier = h.camera, h.model
	deps.Clock, deps.Reload = h.clock, h.reload
	if deps.Notifier == nil {
		deps.Notifier = Systemd{}
	}
	if n, ok := deps.Notifier.(*recordingNotifier); ok {
		n.clock = h.clock
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sys/class/thermal/thermal_zone0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sys/class/thermal/thermal_zone0/temp"), []byte("51234\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deps.SysRoot = root
	if deps.Usage == nil { // a quarter of a core, 64 MB
		start := h.clock.Now()
		deps.Usage = func() (Usage, error) { return Usage{CPU: h.clock.Now().Sub(start) / 4, MaxRSS: 64 << 20}, nil }
	}
	if deps.Throttle == nil {
		h.throttle = &fakeThrottle{}
		deps.Throttle = h.throttle
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		err := Run(ctx, cfg, deps)
		logger.Close()
		h.done <- err
	}()
	return h
}

// stop is SIGTERM: it cancels the loop and waits for Run to return.
func (h *harness) stop() {
	h.t.Helper()
	h.camera.settle()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		h.t.Fatal("Run did not return after cancel")
	}
}

// transitions returns one pin's printed levels, in order.
func (h *harness) transitions(pin string) []string {
	var levels []string
	for _, line := range strings.Split(h.pinLog.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "pin "+pin+" -> "); ok {
			levels = append(levels, rest)
		}
	}
	return levels
}

const twoRules = `
heartbeat_pin = "GPIO27"
fault_pin = "GPIO22"
status_interval = "1s"

[[rule]]
labels = ["tabby"]
frames = 2
release = 2
pin = "GPIO17"

[[rule]]
labels = ["dog"]
min_score = 0.6
frames = 1
release = 1
pin = "GPIO23"
mode = "pulse"
pulse_ms = 150
active_low = true
`

// TestRunEndToEnd feeds scripted frames and checks the pin transitions,
// the records and the notifications they cause.
func TestRunEndToEnd(t *testing.T) {
	h := startDaemon(t, twoRules, Deps{ModelName: "fake.neonet", WatchdogInterval: 300 * time.Millisecond})
	h.camera.feed(
		frame{scores: scores("tabby", .8)},             // rule 1: 1 of 2
		frame{scores: scores("tabby", .8)},             // rule 1 activates: GPIO17 high
		frame{scores: scores("tabby", .7, "dog", .65)}, // rule 2 activates: a 150 ms low pulse on GPIO23
		frame{scores: scores("tabby", .1, "dog", .3)},  // rule 2 releases, its pulse runs on; rule 1 misses once
		frame{scores: scores("dog", .2)},               // rule 1 releases; the pulse has ended
		frame{cameraErr: errors.New("VIDIOC_DQBUF: no such device")},
		frame{modelErr: errors.New("arena exhausted")},
		frame{scores: scores("tabby", .9)}, // recovered
	)
	// Twelve quiet frames so a status interval (1 s) passes.
	for range 12 {
		h.camera.feed(frame{scores: scores("mailbag", .9)})
	}
	h.stop()

	for pin, want := range map[string][]string{
		"GPIO17": {"high", "low"},
		"GPIO23": {"high", "low", "high"}, // active low: high when opened, low for the pulse
		"GPIO22": {"high", "low"},
	} {
		if got := h.transitions(pin); !slices.Equal(got, want) {
			t.Errorf("pin %s: %v, want %v", pin, got, want)
		}
	}
	beats := h.transitions("GPIO27")
	if len(beats) < 4 || beats[len(beats)-1] != "low" {
		t.Errorf("heartbeat %v: want it to blink and end low", beats)
	}

	var events []string
	for _, r := range records(t, h.log.String()) {
		if r["event"] != "status" {
			events = append(events, r["event"])
		}
	}
	want := []string{"start", "ready", "detect", "detect", "release", "release", "fault", "fault", "recovered", "stop"}
	if !slices.Equal(events, want) {
		t.Errorf("events %v\nwant   %v", events, want)
	}
	detects := records(t, h.log.String(), "detect")
	if len(detects) == 2 {
		if d := detects[0]; d["label"] != "tabby" || d["score"] != "0.80" || d["pin"] != "GPIO17" || d["state"] != "1" || d["rule"] != "1" {
			t.Errorf("first detect %v", d)
		}
		if d := detects[1]; d["label"] != "dog" || d["score"] != "0.65" || d["pin"] != "GPIO23" {
			t.Errorf("second detect %v", d)
		}
	}
	faults := records(t, h.log.String(), "fault")
	if len(faults) == 2 && (faults[0]["source"] != "camera" || !strings.Contains(faults[0]["error"], "DQBUF") ||
		faults[1]["source"] != "model" || faults[1]["attempt"] != "2") {
		t.Errorf("faults %v", faults)
	}
	if r := records(t, h.log.String(), "recovered"); len(r) != 1 || r[0]["attempts"] != "2" {
		t.Errorf("recovered %v", r)
	}
	status := records(t, h.log.String(), "status")
	if len(status) == 0 {
		t.Fatal("no status record")
	}
	s := status[0]
	// 120 ms per frame (100 ms camera + 20 ms model): 8.3 fps, minus the
	// frames lost to the two failures in the first second.
	if s["infer_ms"] != "20.0" || s["temp_c"] != "51.2" || s["dropped"] != "0" || s["log_overflow"] != "0" || s["uptime_s"] != "1" ||
		s["cpu_pct"] != "25.0" || s["max_rss_mb"] != "64.0" || s["throttled"] != "0x0" {
		t.Errorf("status %v", s)
	}
	if fps, err := strconv.ParseFloat(s["fps"], 64); err != nil || fps < 5 || fps > 8.4 {
		t.Errorf("status fps %s, want about 8", s["fps"])
	}

	msgs := notifications(t, h.notify, "STOPPING=1")
	if count(msgs, "READY=1") != 1 || count(msgs, "STOPPING=1") != 1 || count(msgs, "WATCHDOG=1") < 1 {
		t.Errorf("notifications %q", msgs)
	}
	if i := slices.IndexFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "STATUS=fault: camera") }); i < 0 {
		t.Errorf("no fault STATUS in %q", msgs)
	}
}

// TestWatchdogFedThroughFaults: the watchdog means "the loop is alive":
// it is pinged while frames flow, while the camera fails for many
// watchdog periods (fault pin on, rules released), and while the camera
// delivers nothing, until a call that has not returned for stall_timeout
// ends the daemon with an error, pins safe.
func TestWatchdogFedThroughFaults(t *testing.T) {
	const watchdog = 300 * time.Millisecond
	notifier := &recordingNotifier{}
	h := startDaemon(t, "stall_timeout = \"5s\"\nfault_pin = \"GPIO22\"\n[[rule]]\nlabels = [\"tabby\"]\nframes = 1\npin = \"GPIO17\"\n",
		Deps{WatchdogInterval: watchdog, Notifier: notifier})
	for range 5 {
		h.camera.feed(frame{scores: scores("tabby", .9)})
	}
	h.camera.settle()
	flowing := notifier.count("WATCHDOG=1")

	// The camera fails for 3 s, 10 watchdog periods (each failure takes a
	// frame period of the fake clock).
	for range 30 {
		h.camera.feed(frame{cameraErr: errors.New("VIDIOC_DQBUF: no such device")})
	}
	h.camera.settle()
	failing := notifier.count("WATCHDOG=1") - flowing
	if failing < 9 {
		t.Errorf("%d watchdog pings while the camera failed for 3 s (10 periods), want one a period", failing)
	}
	if got := h.transitions("GPIO22"); !slices.Equal(got, []string{"high"}) {
		t.Errorf("fault pin %v while failing, want it lit", got)
	}
	h.camera.feed(frame{scores: scores("tabby", .9)})
	h.camera.settle()
	if got := h.transitions("GPIO22"); !slices.Equal(got, []string{"high", "low"}) {
		t.Errorf("fault pin %v after the camera came back", got)
	}

	// No frame comes back from the worker (the daemon's camera reports
	// its trouble within seconds, so there it is the model that hangs):
	// the loop still pings, 1.5 s long.
	before := notifier.count("WATCHDOG=1")
	for range 5 {
		h.clock.Advance(watchdog)
		h.clock.waitArmed(t, watchdog)
	}
	if n := notifier.count("WATCHDOG=1") - before; n != 5 {
		t.Errorf("%d pings over 5 periods without frames, want 5", n)
	}
	// Until the frame has been awaited for stall_timeout (5 s): then the
	// daemon exits with an error, for systemd to start it afresh.
	var err error
	for err == nil {
		h.clock.Advance(watchdog)
		select {
		case err = <-h.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(err.Error(), "no frame and no failure for 5s") || !strings.Contains(err.Error(), "exiting so that the service starts afresh") {
		t.Errorf("Run: %v, want the stall", err)
	}
	// Half-way, the hung frame was a fault: rules released, fault pin lit.
	if f := records(t, h.log.String(), "fault"); len(f) != 2 || f[1]["source"] != "model" || !strings.Contains(f[1]["error"], "inference does not return") {
		t.Errorf("fault records %v: want the camera's, then the hung model's", f)
	}
	if got := h.transitions("GPIO22"); !slices.Equal(got, []string{"high", "low", "high", "low"}) {
		t.Errorf("fault pin %v: want it lit for the camera, then for the hung model, safe on exit", got)
	}
	if got := h.transitions("GPIO17"); !slices.Equal(got, []string{"high", "low", "high", "low"}) {
		t.Errorf("GPIO17 %v: want it released by the fault, active again, then released by the hung model", got)
	}
	stop := records(t, h.log.String(), "stop")
	if len(stop) != 1 || !strings.Contains(stop[0]["reason"], "no frame and no failure") {
		t.Errorf("stop records %v, want one saying why", stop)
	}
}

// TestStartWithoutCamera: a camera that fails from the start is a fault,
// not an exit: READY goes out with the fault in STATUS=, the fault pin is
// lit, fault records repeat every status interval rather than every
// attempt, and frames are classified once the camera comes.
func TestStartWithoutCamera(t *testing.T) {
	notifier := &recordingNotifier{}
	h := startDaemon(t, "status_interval = \"1s\"\nfault_pin = \"GPIO22\"\n[[rule]]\nlabels = [\"tabby\"]\nframes = 1\npin = \"GPIO17\"\n",
		Deps{Notifier: notifier})
	for range 25 { // 2.5 s of failures, one a frame period
		h.camera.feed(frame{cameraErr: errors.New("camera /dev/video0: no such device")})
	}
	h.camera.settle()
	notifier.mu.Lock()
	sent := slices.Clone(notifier.sent)
	notifier.mu.Unlock()
	if len(sent) == 0 || !strings.HasPrefix(sent[0], "READY=1\nSTATUS=fault: camera: camera /dev/video0: no such device") {
		t.Errorf("notifications %q: want READY with the fault first", sent)
	}
	waitFor(t, h.log, "event=fault", 3)
	if faults := records(t, h.log.String(), "fault"); len(faults) != 3 || faults[0]["attempt"] != "1" || faults[1]["attempt"] != "11" || faults[2]["attempt"] != "21" {
		t.Errorf("fault records %v: want attempts 1, 11 and 21 (one a second)", faults)
	}
	h.camera.feed(frame{scores: scores("tabby", .9)})
	h.stop()
	if got := h.transitions("GPIO22"); !slices.Equal(got, []string{"high", "low"}) {
		t.Errorf("fault pin %v", got)
	}
	if got := h.transitions("GPIO17"); !slices.Equal(got, []string{"high", "low"}) {
		t.Errorf("rule pin %v: want it active on the first frame", got)
	}
	var events []string
	for _, r := range records(t, h.log.String()) {
		if r["event"] != "status" {
			events = append(events, r["event"])
		}
	}
	if want := []string{"start", "fault", "fault", "fault", "recovered", "detect", "ready", "stop"}; !slices.Equal(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
	if r := records(t, h.log.String(), "recovered"); len(r) != 1 || r[0]["attempts"] != "25" {
		t.Errorf("recovered %v", r)
	}
	if notifier.count("READY=1") != 1 {
		t.Errorf("READY sent %d times", notifier.count("READY=1"))
	}
}

// TestStalledCameraExits: a camera whose driver call hangs is a fault at
// first; once the call has hung for stall_timeout, the daemon exits with
// the error (status 1 from neonet run), pins safe.
func TestStalledCameraExits(t *testing.T) {
	h := startDaemon(t, "stall_timeout = \"10s\"\n[[rule]]\nlabels = [\"tabby\"]\nframes = 1\npin = \"GPIO17\"\n", Deps{})
	h.camera.feed(frame{scores: scores("tabby", .9)})
	h.camera.feed(frame{cameraErr: &pipeline.StalledError{Camera: "/dev/video0", Call: "read", For: 2 * time.Second}})
	h.camera.feed(frame{cameraErr: &pipeline.StalledError{Camera: "/dev/video0", Call: "read", For: 10 * time.Second}})
	var err error
	select {
	case err = <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon did not exit on a call hung for stall_timeout")
	}
	if err == nil || !strings.Contains(err.Error(), "read has not returned for 10s") {
		t.Errorf("Run: %v", err)
	}
	if got := h.transitions("GPIO17"); !slices.Equal(got, []string{"high", "low"}) {
		t.Errorf("GPIO17 %v", got)
	}
	if faults := records(t, h.log.String(), "fault"); len(faults) != 1 {
		t.Errorf("fault records %v: want one (the stall repeats within the status interval)", faults)
	}
}

// TestCameraFileEnds: the end of a camera file that does not loop ends the
// run without error, with a stop record that says so.
func TestCameraFileEnds(t *testing.T) {
	h := startDaemon(t, "[[rule]]\nlabels = [\"tabby\"]\nframes = 1\npin = \"GPIO17\"\n", Deps{})
	h.camera.feed(frame{scores: scores("tabby", .9)}, frame{cameraErr: fmt.Errorf("camera clip.mp4: %w after 2 frames", camera.ErrEndOfStream)})
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v, want nil at the end of the file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon did not stop at the end of its camera file")
	}
	if stop := records(t, h.log.String(), "stop"); len(stop) != 1 || !strings.Contains(stop[0]["reason"], "end of stream") {
		t.Errorf("stop records %v", stop)
	}
	if faults := records(t, h.log.String(), "fault"); len(faults) != 0 {
		t.Errorf("the end of the file is no fault: %v", faults)
	}
}

// TestSkippedFramesAreRecorded: frames the camera could not read (a
// corrupt image in a folder) are said in a skip record, with the last
// error, without a fault.
func TestSkippedFramesAreRecorded(t *testing.T) {
	h := startDaemon(t, "[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\n", Deps{})
	h.camera.feed(frame{scores: scores("dog", .9)})
	h.camera.settle()
	h.camera.mu.Lock()
	h.camera.stats.BadFrames = 2
	h.camera.stats.LastBadFrame = fmt.Errorf("camera frames: %w: decode frames/b.jpg: unknown image format", camera.ErrBadFrame)
	h.camera.mu.Unlock()
	h.camera.feed(frame{scores: scores("dog", .9)}, frame{scores: scores("dog", .9)})
	h.stop()
	skips := records(t, h.log.String(), "skip")
	if len(skips) != 1 || skips[0]["frames"] != "2" || !strings.Contains(skips[0]["error"], "b.jpg") {
		t.Errorf("skip records %v", skips)
	}
	if len(records(t, h.log.String(), "fault")) != 0 {
		t.Error("skipped frames made a fault")
	}
}

// TestReload: a model that fails verification leaves the old one running;
// a good one replaces it, with its rules.
func TestReload(t *testing.T) {
	var next *Pipeline
	var loadErr error
	load := func(context.Context) (*Pipeline, error) { return next, loadErr }
	h := startDaemon(t, "[[rule]]\nlabels = [\"tabby\"]\nframes = 1\nrelease = 1\npin = \"GPIO17\"\n", Deps{Load: load})
	h.camera.feed(frame{scores: scores("tabby", .8)})
	h.camera.settle()

	newConfig := func(text string) *Config {
		cfg, err := ParseConfig("test.toml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	bad := []struct {
		name   string
		pipe   *Pipeline
		err    error
		reason string
	}{
		{"unreadable file", nil, errors.New("test.toml:3: rule[1].pin: missing"), "rule[1].pin: missing"},
		{"labels the model lacks", &Pipeline{newConfig("[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\n"),
			&fakeModel{camera: h.camera, labels: []string{"cat", "dog"}, input: make([]int8, 16)}}, nil, `"tabby" is not a class of the model`},
		{"other pins", &Pipeline{newConfig("[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO4\"\n"), h.model}, nil, "the pins changed"},
		{"other camera", &Pipeline{newConfig("camera = \"/dev/video1\"\n[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\n"), h.model}, nil,
			`the camera changed from "/dev/video0" to "/dev/video1": restart the service`},
		{"other input size", &Pipeline{newConfig("[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\n"),
			&fakeModel{camera: h.camera, labels: testLabels, input: make([]int8, 8)}}, nil, "takes 8 input values, the camera delivers 16"},
	}
	for i, b := range bad {
		next, loadErr = b.pipe, b.err
		h.reload <- struct{}{}
		waitFor(t, h.log, "ok=0", i+1)
		rs := records(t, h.log.String(), "reload")
		if len(rs) != i+1 || !strings.Contains(rs[i]["error"], b.reason) {
			t.Fatalf("%s: reload records %v, want error %q", b.name, rs, b.reason)
		}
	}
	// The old rule still runs: tabby releases (release = 1) and detects.
	h.camera.feed(frame{scores: scores("dog", .9)}, frame{scores: scores("tabby", .8)})
	h.camera.settle()
	if got := h.transitions("GPIO17"); !slices.Equal(got, []string{"high", "low", "high"}) {
		t.Fatalf("GPIO17 after failed reloads %v", got)
	}

	// A good reload: the rule now needs 0.9, and releases the pin.
	next, loadErr = &Pipeline{newConfig("[[rule]]\nlabels = [\"tabby\"]\nmin_score = 0.9\nframes = 1\nrelease = 1\npin = \"GPIO17\"\n"),
		&fakeModel{camera: h.camera, labels: testLabels, input: make([]int8, 16)}}, nil
	h.reload <- struct{}{}
	waitFor(t, h.log, "ok=1", 1)
	h.camera.feed(frame{scores: scores("tabby", .8)}, frame{scores: scores("tabby", .95)})
	h.stop()
	if got := h.transitions("GPIO17"); !slices.Equal(got, []string{"high", "low", "high", "low", "high", "low"}) {
		t.Errorf("GPIO17 %v: want released by the reload, then active only at 0.95, then safe", got)
	}
	msgs := notifications(t, h.notify, "STOPPING=1")
	if count(msgs, "RELOADING=1") != 6 || !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "STATUS=reload failed") }) {
		t.Errorf("notifications %q", msgs)
	}
}

// TestInstall: an install is a reload with a pipeline loaded elsewhere:
// the same checks, the commit only when they pass, and a refused commit
// leaves the old model running.
func TestInstall(t *testing.T) {
	installs := make(chan Install)
	h := startDaemon(t, "[[rule]]\nlabels = [\"tabby\"]\nframes = 1\nrelease = 1\npin = \"GPIO17\"\n", Deps{Installs: installs})
	h.camera.feed(frame{scores: scores("tabby", .8)})
	h.camera.settle()
	cfg, err := ParseConfig("test.toml", []byte("[[rule]]\nlabels = [\"dog\"]\nframes = 1\nrelease = 1\npin = \"GPIO17\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	install := func(p *Pipeline, loadErr, commitErr error) (committed bool, err error) {
		done := make(chan error, 1)
		installs <- Install{Pipeline: p, Err: loadErr, Done: done, Commit: func() error { committed = true; return commitErr }}
		return committed, <-done
	}
	lacking := &Pipeline{cfg, &fakeModel{camera: h.camera, labels: []string{"cat", "tabby"}, input: make([]int8, 16)}}
	good := &Pipeline{cfg, &fakeModel{camera: h.camera, labels: testLabels, input: make([]int8, 16)}}
	for _, c := range []struct {
		name               string
		p                  *Pipeline
		loadErr, commitErr error
		commit             bool
		want               string
	}{
		{"load failed", nil, errors.New("model.new.neonet: truncated"), nil, false, "truncated"},
		{"labels the model lacks", lacking, nil, nil, false, `"dog" is not a class of the model`},
		{"commit failed", good, nil, errors.New("read-only file system"), true, "read-only file system"},
	} {
		committed, err := install(c.p, c.loadErr, c.commitErr)
		if err == nil || !strings.Contains(err.Error(), c.want) || committed != c.commit {
			t.Errorf("%s: error %v (committed %v), want %q (committed %v)", c.name, err, committed, c.want, c.commit)
		}
	}
	waitFor(t, h.log, "ok=0", 3)
	if rs := records(t, h.log.String(), "reload"); len(rs) != 3 || rs[2]["ok"] != "0" || rs[2]["error"] != "read-only file system" {
		t.Errorf("reload records %v", rs)
	}
	if committed, err := install(good, nil, nil); err != nil || !committed {
		t.Fatalf("a good install: %v (committed %v)", err, committed)
	}
	h.camera.feed(frame{scores: scores("tabby", .8)}, frame{scores: scores("dog", .8)})
	h.stop()
	// Active on tabby until the install released it; then on dog.
	if got := h.transitions("GPIO17"); !slices.Equal(got, []string{"high", "low", "high", "low"}) {
		t.Errorf("GPIO17 %v", got)
	}
	if rs := records(t, h.log.String(), "reload", "release"); len(rs) < 5 || rs[3]["reason"] != "reload" || rs[4]["ok"] != "1" {
		t.Errorf("records %v, want the rule released by the install and reload ok=1", rs)
	}
}

// recorder is an output that keeps what it is given, as a web page or an
// MQTT client would: copies, not the loop's buffers.
type recorder struct {
	NopOutput
	frames []uint64  // sequence numbers
	top    []float32 // each frame's first score
	levels []string  // "PIN=1" or "PIN=0"
	events []string
}

func (r *recorder) Frame(f *Frame) {
	r.frames = append(r.frames, f.Seq)
	r.top = append(r.top, f.Scores[0].Score)
}

func (r *recorder) Level(pin string, active bool) error {
	r.levels = append(r.levels, fmt.Sprintf("%s=%d", pin, map[bool]int{false: 0, true: 1}[active]))
	return nil
}

func (r *recorder) Record(rec *serlog.Record) {
	fields, _ := serlog.Parse(rec.String())
	r.events = append(r.events, fields["event"])
}

func (r *recorder) Status(rec *serlog.Record) { rec.Int("recorded_frames", int64(len(r.frames))) }

// TestOutputsSeeFramesLevelsAndRecords: an output added beside the pins
// and the log gets every classified frame, every level change and every
// record, and can add its own counters to the status record.
func TestOutputsSeeFramesLevelsAndRecords(t *testing.T) {
	rec := &recorder{}
	h := startDaemon(t, "status_interval = \"1s\"\n[[rule]]\nlabels = [\"tabby\"]\nframes = 1\nrelease = 1\npin = \"GPIO17\"\n",
		Deps{Outputs: []Output{rec}})
	h.camera.feed(frame{scores: scores("tabby", .8)}, frame{cameraErr: errors.New("unplugged")}, frame{scores: scores("dog", .9)})
	for range 8 {
		h.camera.feed(frame{scores: scores("tabby", .7)})
	}
	h.stop()
	if len(rec.frames) != 10 || rec.frames[0] != 1 || rec.frames[9] != 10 || rec.top[0] != .8 || rec.top[1] != .9 {
		t.Errorf("frames %v, first scores %v: want the 10 classified frames", rec.frames, rec.top)
	}
	if want := []string{"GPIO17=0", "GPIO17=1", "GPIO17=0", "GPIO17=1", "GPIO17=0"}; !slices.Equal(rec.levels, want) {
		t.Errorf("levels %v, want %v", rec.levels, want)
	}
	want := []string{"start", "detect", "ready", "fault", "release", "recovered", "detect", "status", "stop"}
	if !slices.Equal(rec.events, want) {
		t.Errorf("records %v\nwant    %v", rec.events, want)
	}
	if s := records(t, h.log.String(), "status"); len(s) != 1 || s[0]["recorded_frames"] == "" {
		t.Errorf("status records %v: want the output's counter in them", s)
	}
}
