package faults

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCameraRemovedAndRestored: the camera goes away for three watchdog
// periods. The watchdog is fed all along, the fault pin is lit and the
// rules released, fault records repeat and STATUS= says why; when the
// camera comes back, a recovered record, the fault pin out and frames
// classified again.
func TestCameraRemovedAndRestored(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", "")
	r.restoreCamera(t)
	p := r.start(t)
	ready := r.notify.WaitFor(t, "READY=1", startWait)
	p.WaitLine(t, p.Stdout, eventWait, "pin "+rulePin+" -> high")

	if err := os.Remove(r.camera); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	p.WaitAll(t, p.Stdout, eventWait, []string{"event=fault", "source=camera", "no such file or folder"},
		[]string{"pin " + faultPin + " -> high"}, []string{"pin " + rulePin + " -> low"}, []string{"pin " + activeLowPin + " -> high"})
	faulted := time.Now()
	if !r.board.High(t, faultPin) || r.board.High(t, rulePin) || !r.board.High(t, activeLowPin) {
		t.Error("during the fault: want the fault pin lit and both rules' pins inactive")
	}
	time.Sleep(3 * watchdog)
	r.restoreCamera(t)
	restored := time.Now()
	p.WaitAll(t, p.Stdout, eventWait, []string{"event=recovered", "source=camera"},
		[]string{"pin " + faultPin + " -> low"}, []string{"pin " + rulePin + " -> high"})
	recovered := time.Now()
	classifying(t, p)
	stopAt := time.Now()
	r.stop(t, p)

	pings, gap := r.checkWatchdog(t, ready.At, stopAt)
	recs := checkLog(t, p.Seen())
	var outage []map[string]string
	for _, f := range events(recs, "fault") {
		if f["source"] == "camera" {
			outage = append(outage, f)
		}
	}
	// One at once, then one an attempt (the camera is waited for 2 s,
	// then retried after 200 ms) but at most one a second, for the 9 s.
	if len(outage) < 3 {
		t.Errorf("%d camera fault records over %v, want about one every 2 s", len(outage), recovered.Sub(faulted))
	}
	if rec := events(recs, "recovered"); len(rec) != 1 || rec[0]["source"] != "camera" {
		t.Errorf("recovered records %v", rec)
	}
	status := false
	for _, m := range r.notify.Messages() {
		status = status || strings.Contains(m.Text, "STATUS=fault: camera: camera "+r.camera+": no such file or folder")
	}
	if !status {
		t.Error("STATUS= never said the camera was missing")
	}
	checkQuietStderr(t, p)
	t.Logf("camera away %v (fault seen %v after the removal, at the end of the file's loop); %d fault records; "+
		"recovered %v after the restore; watchdog: %d pings, longest gap %v (WatchdogSec %v)",
		restored.Sub(removed).Round(100*time.Millisecond), faulted.Sub(removed).Round(100*time.Millisecond), len(outage),
		recovered.Sub(restored).Round(100*time.Millisecond), pings, gap.Round(10*time.Millisecond), watchdog)
}

// TestStartWithoutCamera: started before its camera exists, the daemon
// is up (READY, with the fault in STATUS=), fault pin lit, watchdog fed;
// it classifies once the camera appears.
func TestStartWithoutCamera(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", "")
	p := r.start(t)
	ready := r.notify.WaitFor(t, "READY=1", startWait)
	if !strings.Contains(ready.Text, "STATUS=fault: camera") {
		t.Errorf("READY without a camera: %q, want the camera fault in STATUS=", ready.Text)
	}
	p.WaitAll(t, p.Stdout, eventWait, []string{"event=fault", "source=camera", "no such file or folder"}, []string{"pin " + faultPin + " -> high"})
	time.Sleep(watchdog)
	r.restoreCamera(t)
	appeared := time.Now()
	p.WaitAll(t, p.Stdout, eventWait, []string{"event=recovered", "source=camera"}, []string{"event=ready"},
		[]string{"pin " + faultPin + " -> low"}, []string{"pin " + rulePin + " -> high"})
	first := time.Now()
	stopAt := time.Now()
	r.stop(t, p)
	pings, gap := r.checkWatchdog(t, ready.At, stopAt)
	checkLog(t, p.Seen())
	checkQuietStderr(t, p)
	t.Logf("READY %v after the start without a camera; first frame %v after the camera appeared; watchdog: %d pings, longest gap %v",
		ready.At.Sub(p.Started).Round(10*time.Millisecond), first.Sub(appeared).Round(100*time.Millisecond), pings, gap.Round(10*time.Millisecond))
}

// TestHungCameraExits: a camera whose driver call never returns (here a
// video "file" that is a named pipe nobody writes: the decoder waits in
// open) is a fault at first, with the watchdog fed; after stall_timeout
// the daemon exits with status 1, pins safe, so that systemd starts a
// fresh process, even though the call is still hung.
func TestHungCameraExits(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", `stall_timeout = "5s"`)
	if err := syscall.Mkfifo(r.camera, 0o644); err != nil {
		t.Fatal(err)
	}
	p := r.start(t)
	ready := r.notify.WaitFor(t, "READY=1", startWait)
	p.WaitAll(t, p.Stdout, eventWait, []string{"event=fault", "source=camera", "open has not returned"}, []string{"pin " + faultPin + " -> high"})
	rest, err := p.Wait(t, eventWait)
	exited := time.Now()
	if code := p.Cmd.ProcessState.ExitCode(); err == nil || code != 1 {
		t.Errorf("exit: %v (code %d), want status 1", err, code)
	}
	if !strings.Contains(p.Stderr(), "exiting so that the service starts afresh") {
		t.Errorf("stderr does not say why the daemon exits:\n%s", p.Stderr())
	}
	if !strings.Contains(strings.Join(rest, "\n"), "event=stop") {
		t.Errorf("no stop record:\n%s", strings.Join(rest, "\n"))
	}
	r.checkPinsSafe(t, "after the exit")
	pings, gap := r.checkWatchdog(t, ready.At, r.notify.WaitFor(t, "STOPPING=1", time.Second).At)
	t.Logf("exit status 1 %v after the start (stall_timeout 5s); watchdog until then: %d pings, longest gap %v",
		exited.Sub(p.Started).Round(100*time.Millisecond), pings, gap.Round(10*time.Millisecond))
	// The hung open of the exited process must not outlive it: nothing
	// holds the pipe open for reading any more.
	if w, err := os.OpenFile(r.camera, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
		t.Error("the named pipe still has a reader after the daemon exited")
	}
}
