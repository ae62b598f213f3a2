package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/daemontest"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/internal/testmodel"
)

// watchdog is the fake systemd's WatchdogSec: pings every 1.5 s.
const watchdog = 3 * time.Second

// Generous waits for events on a loaded machine; the figures the suite
// asserts on (watchdog gaps, time to exit) are measured, not waited for.
const (
	startWait = 60 * time.Second // a process up and classifying
	eventWait = 30 * time.Second // a record or a pin after its cause
)

// The pins of the rig's configuration: two rules that every classified
// frame activates (the second active low), heartbeat and fault.
var (
	rulePin      = "GPIO17"
	activeLowPin = "GPIO23"
	heartbeatPin = "GPIO27"
	faultPin     = "GPIO22"
	allPins      = map[string]bool{rulePin: false, activeLowPin: true, heartbeatPin: false, faultPin: false} // pin -> active low
)

// rig is what a daemon under test runs with: a model file, a camera file
// it may lose, a configuration, a simulated board and a fake systemd.
type rig struct {
	model, camera, config string
	video                 []byte // the camera file's content, to restore it
	board                 *daemontest.Board
	notify                *daemontest.NotifySocket
}

// newRig prepares a rig whose camera is a copy of tree.avi (68 pictures,
// 3.4 s a loop at the 20 frames/s the daemon asks for) and whose model is
// the small test model. serialPort is the configuration's serial.port;
// extra is added to the configuration's top level.
func newRig(t *testing.T, serialPort, extra string) *rig {
	t.Helper()
	video, err := os.ReadFile(testenv.SharedData(t, "videos", "tree.avi"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &rig{model: testmodel.File(t), camera: filepath.Join(dir, "camera.avi"), config: filepath.Join(dir, "neonet.toml"),
		video: video, board: daemontest.NewBoard(t), notify: daemontest.NewNotifySocket(t)}
	labels := `["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]`
	rule := "\n[[rule]]\nlabels = %s\nmin_score = 0.01\nframes = 1\nrelease = 1\npin = %q\nactive_low = %v\n"
	cfg := fmt.Sprintf("model = %q\ncamera = %q\ngpio = \"sim\"\nheartbeat_pin = %q\nfault_pin = %q\n"+
		"status_interval = \"1s\"\nretry_interval = \"200ms\"\n%s\n[serial]\nport = %q\n",
		r.model, r.camera, heartbeatPin, faultPin, extra, serialPort) +
		fmt.Sprintf(rule, labels, rulePin, false) + fmt.Sprintf(rule, labels, activeLowPin, true)
	if err := os.WriteFile(r.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// restoreCamera puts the camera file (back) in place.
func (r *rig) restoreCamera(t *testing.T) {
	t.Helper()
	tmp := r.camera + ".new"
	if err := os.WriteFile(tmp, r.video, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, r.camera); err != nil {
		t.Fatal(err)
	}
}

// start runs neonet run on the rig, as systemd would.
func (r *rig) start(t *testing.T) *daemontest.Process {
	t.Helper()
	env := append(r.notify.Env(watchdog), r.board.Env()...)
	return daemontest.Start(t, env, "run", "--config", r.config, "--loop", "--camera-fps", "20")
}

// startWatched is start that returns once the daemon has opened its
// configuration, the first thing it does after installing its signal
// handlers: a test's signals then land in its start-up.
func (r *rig) startWatched(t *testing.T) *daemontest.Process {
	t.Helper()
	opened := daemontest.WatchOpen(t, r.config)
	p := r.start(t)
	select {
	case <-opened:
	case <-time.After(startWait):
		t.Fatal("the daemon never read its configuration")
	}
	return p
}

// stop sends SIGTERM, expects a clean exit, and returns the time it took.
func (r *rig) stop(t *testing.T, p *daemontest.Process) time.Duration {
	t.Helper()
	took, rest, err := p.Stop(t, syscall.SIGTERM, 10*time.Second)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v; stderr:\n%s", err, p.Stderr())
	}
	if !slices.ContainsFunc(rest, func(l string) bool { return strings.Contains(l, "event=stop") }) {
		t.Errorf("no stop record after SIGTERM:\n%s", strings.Join(rest, "\n"))
	}
	return took
}

// checkPinsSafe checks that every pin of the rig is at its inactive level
// on the board.
func (r *rig) checkPinsSafe(t *testing.T, when string) {
	t.Helper()
	for pin, activeLow := range allPins {
		if high := r.board.High(t, pin); high != activeLow {
			t.Errorf("%s: pin %s is %s, want inactive", when, pin, map[bool]string{false: "low", true: "high"}[high])
		}
	}
}

// checkWatchdog checks that systemd would not have fired: no span of
// WatchdogSec without a ping from from to to. It returns the pings and
// the longest gap.
func (r *rig) checkWatchdog(t *testing.T, from, to time.Time) (int, time.Duration) {
	t.Helper()
	pings, gap := r.notify.WatchdogGaps(from, to)
	if gap >= watchdog {
		t.Errorf("%v without a watchdog ping (WatchdogSec %v): systemd would have killed the daemon", gap, watchdog)
	}
	return pings, gap
}

// checkLog checks every line the daemon wrote: each is a pin transition
// or a well-formed record, and no status record counts records lost to a
// full queue or failed writes. It returns the records.
func checkLog(t *testing.T, lines []string) []map[string]string {
	t.Helper()
	var recs []map[string]string
	for _, line := range lines {
		if strings.HasPrefix(line, "pin ") {
			continue
		}
		rec, err := serlog.Parse(line)
		if err != nil {
			t.Errorf("malformed line %q: %v", line, err)
			continue
		}
		if rec["event"] == "status" && (rec["log_overflow"] != "0" || rec["log_errors"] != "0") {
			t.Errorf("records lost: %s", line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// events returns the records of the given event.
func events(recs []map[string]string, event string) []map[string]string {
	var out []map[string]string
	for _, r := range recs {
		if r["event"] == event {
			out = append(out, r)
		}
	}
	return out
}

// checkQuietStderr checks that the camera libraries did not write to
// stderr: the daemon's own description line is all there is.
func checkQuietStderr(t *testing.T, p *daemontest.Process) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(p.Stderr()), "\n") {
		if line != "" && !strings.HasPrefix(line, "neonet run: ") {
			t.Errorf("library noise on stderr: %q", line)
		}
	}
}

// classifying waits for a status record that counts classified frames.
func classifying(t *testing.T, p *daemontest.Process) {
	t.Helper()
	deadline := time.Now().Add(eventWait)
	for time.Now().Before(deadline) {
		line := p.WaitLine(t, p.Stdout, time.Until(deadline), "event=status")
		if rec, err := serlog.Parse(line); err == nil {
			if n, _ := strconv.Atoi(rec["frames"]); n > 0 {
				return
			}
		}
	}
	t.Fatal("no frames classified")
}
