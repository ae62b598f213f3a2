package faults

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/internal/daemontest"
)

// TestSIGHUPDuringStartUp: SIGHUPs from the moment the daemon reads its
// configuration until it is READY (model loading, camera opening, first
// frame) neither kill it nor get lost: it starts, the reload they asked
// for runs once it is up, and it goes on classifying.
func TestSIGHUPDuringStartUp(t *testing.T) {
	r := newRig(t, "", "")
	r.restoreCamera(t)
	p := r.startWatched(t)
	t0 := time.Now()
	sent := 0
	for !slices.ContainsFunc(r.notify.Messages(), func(m daemontest.Notification) bool { return strings.HasPrefix(m.Text, "READY=1") }) {
		if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatalf("SIGHUP %d: the daemon is gone: %v; stderr:\n%s", sent+1, err, p.Stderr())
		}
		sent++
		if time.Since(t0) > startWait {
			t.Fatal("no READY")
		}
		time.Sleep(10 * time.Millisecond)
	}
	startUp := time.Since(t0)
	p.WaitLine(t, p.Stdout, eventWait, "event=reload", "ok=1")
	classifying(t, p)
	r.stop(t, p)
	recs := checkLog(t, p.Seen())
	for _, rec := range events(recs, "reload") {
		if rec["ok"] != "1" {
			t.Errorf("reload failed: %v", rec)
		}
	}
	t.Logf("%d SIGHUPs over the %v from reading the configuration to READY: no death, %d reload(s) once up",
		sent, startUp.Round(time.Millisecond), len(events(recs, "reload")))
}

// TestSIGHUPWithDamagedModel: a reload with a damaged model file is
// refused with the reason, and the running model goes on classifying, the
// rules' pins untouched; the repaired file then reloads.
func TestSIGHUPWithDamagedModel(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", "")
	r.restoreCamera(t)
	good, err := os.ReadFile(r.model)
	if err != nil {
		t.Fatal(err)
	}
	p := r.start(t)
	p.WaitLine(t, p.Stdout, startWait, "pin "+rulePin+" -> high")
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 0x10
	if err := os.WriteFile(r.model, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	p.Signal(t, syscall.SIGHUP)
	refused := p.WaitLine(t, p.Stdout, eventWait, "event=reload", "ok=0")
	if !strings.Contains(refused, "checksum") {
		t.Errorf("refused reload does not say why: %s", refused)
	}
	classifying(t, p)
	classifying(t, p)
	if err := os.WriteFile(r.model, good, 0o644); err != nil {
		t.Fatal(err)
	}
	p.Signal(t, syscall.SIGHUP)
	p.WaitLine(t, p.Stdout, eventWait, "event=reload", "ok=1")
	classifying(t, p)
	r.stop(t, p)

	recs := checkLog(t, p.Seen())
	frames := 0
	after := false
	for _, rec := range recs {
		switch {
		case rec["event"] == "reload" && rec["ok"] == "0":
			after = true
		case rec["event"] == "reload" || rec["reason"] == "reload": // the good reload releases the rules first
			after = false
		case after && rec["event"] == "status":
			n, _ := strconv.Atoi(rec["frames"])
			frames += n
		case after && (rec["event"] == "release" || rec["event"] == "fault"):
			t.Errorf("after the refused reload: %v", rec)
		}
	}
	if frames == 0 {
		t.Error("no frames classified between the refused reload and the good one")
	}
	t.Logf("refused reload: %s; the old model classified %d frames until the good reload", refused, frames)
}

// TestSIGKILLThenStopPost: SIGKILL leaves the pins as they were, active
// ones included (a real board keeps its levels); the unit's stop-post
// command (neonet gpio safe) then drives every pin inactive.
func TestSIGKILLThenStopPost(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", "")
	r.restoreCamera(t)
	p := r.start(t)
	p.WaitAll(t, p.Stdout, startWait, []string{"pin " + rulePin + " -> high"}, []string{"pin " + activeLowPin + " -> low"})
	p.Signal(t, syscall.SIGKILL)
	if _, err := p.Wait(t, eventWait); err == nil {
		t.Error("SIGKILL: exit status 0")
	}
	var left []string
	for pin, activeLow := range allPins {
		if r.board.High(t, pin) != activeLow {
			left = append(left, pin)
		}
	}
	if !slices.Contains(left, rulePin) || !slices.Contains(left, activeLowPin) {
		t.Fatalf("after SIGKILL the active pins are %v, want both rules' pins (the test needs them active)", left)
	}
	t0 := time.Now()
	cmd := exec.Command(daemontest.Binary(t), "gpio", "safe", "--config", r.config)
	cmd.Env = append(os.Environ(), r.board.Env()...)
	out, err := cmd.CombinedOutput()
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("neonet gpio safe: %v\n%s", err, out)
	}
	r.checkPinsSafe(t, "after the stop-post command")
	slices.Sort(left)
	t.Logf("SIGKILL left %v active; neonet gpio safe made every pin inactive in %v", left, took.Round(time.Millisecond))
}

// TestSIGTERMAtRandomMoments: SIGTERM at random moments from the reading
// of the configuration on (model loading, camera opening, first frames,
// steady state): every time a clean exit, a stop record, every pin
// inactive, and an exit within a second. The machine that runs the tests
// may be loaded (other builds, other tests): a single exit may take up to
// 3 s, the median must be under 1 s.
func TestSIGTERMAtRandomMoments(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	const runs = 8
	var took []time.Duration
	var moments []string
	for i := range runs {
		r := newRig(t, "", "")
		r.restoreCamera(t)
		p := r.startWatched(t)
		// Half the moments in the first 200 ms (loading, opening), half
		// anywhere in 1.5 s.
		window := 1500 * time.Millisecond
		if i%2 == 0 {
			window = 200 * time.Millisecond
		}
		time.Sleep(time.Duration(rng.Int64N(int64(window))))
		moment := time.Since(p.Started)
		d, rest, err := p.Stop(t, syscall.SIGTERM, 10*time.Second)
		if err != nil {
			t.Errorf("run %d, SIGTERM %v after the start: %v; stderr:\n%s", i, moment, err, p.Stderr())
		}
		if !slices.ContainsFunc(rest, func(l string) bool { return strings.Contains(l, "event=stop") }) {
			t.Errorf("run %d, SIGTERM %v after the start: no stop record in\n%s", i, moment, strings.Join(p.Seen(), "\n"))
		}
		r.checkPinsSafe(t, "after SIGTERM")
		if d > 3*time.Second {
			t.Errorf("run %d, SIGTERM %v after the start: exit took %v", i, moment, d)
		}
		took = append(took, d)
		moments = append(moments, moment.Round(time.Millisecond).String()+": "+d.Round(time.Millisecond).String())
	}
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	median := (sorted[runs/2-1] + sorted[runs/2]) / 2
	if median >= time.Second {
		t.Errorf("median time from SIGTERM to exit %v, want under 1 s", median)
	}
	t.Logf("SIGTERM to exit (seed %d), at moments after the start: %s; median %v, longest %v",
		seed, strings.Join(moments, ", "), median.Round(time.Millisecond), sorted[runs-1].Round(time.Millisecond))
}
