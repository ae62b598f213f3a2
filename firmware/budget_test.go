package firmware

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFrameBudget: with max_fps = 5 a frame is taken every 200 ms on a
// fixed grid (the loop sleeps in between), a late frame does not shift
// the ones after it, and a frame more than a period late starts the grid
// afresh rather than bringing a burst.
func TestFrameBudget(t *testing.T) {
	h := startDaemon(t, "max_fps = 5\nstatus_interval = \"1h\"\n", Deps{})
	ms := time.Millisecond
	next := func(wait time.Duration) { // the loop sleeps wait, then takes the next frame
		t.Helper()
		h.clock.waitArmed(t, wait)
		h.clock.Advance(wait)
	}
	quiet := frame{scores: scores("mailbag", .9)}
	h.camera.feed(quiet) // taken at 0, classified at 120 ms (camera 100, model 20)
	next(80 * ms)
	h.camera.feed(quiet) // 200
	next(80 * ms)
	h.camera.settle() // taken at 400; the camera is 150 ms late
	h.clock.Advance(150 * ms)
	h.camera.feed(quiet) // classified at 670, due at 600: the next is taken at once
	h.camera.feed(quiet) // 670, classified at 790
	next(10 * ms)        // due at 800: the grid holds
	h.camera.settle()    // taken at 800; the camera is 500 ms late
	h.clock.Advance(500 * ms)
	h.camera.feed(quiet) // classified at 1420, due at 1000: more than a period late
	h.camera.feed(quiet) // taken at once at 1420: the grid starts afresh
	next(80 * ms)
	h.camera.settle() // 1620
	h.stop()
	want := []time.Duration{0, 200 * ms, 400 * ms, 670 * ms, 800 * ms, 1420 * ms, 1620 * ms}
	if got := h.camera.takenAt(); !slices.Equal(got, want) {
		t.Errorf("frames taken at %v\nwant %v", got, want)
	}
	if stop := records(t, h.log.String(), "stop"); len(stop) != 1 || stop[0]["frames"] != "6" {
		t.Errorf("stop records %v, want one with frames=6 (the frames classified)", stop)
	}
}

// TestBudgetChangesOnReload: max_fps applies from the reload on; without
// it every frame is taken as soon as the last is classified.
func TestBudgetChangesOnReload(t *testing.T) {
	var h *harness
	h = startDaemon(t, "max_fps = 2\nstatus_interval = \"1h\"\n", Deps{Load: func(context.Context) (*Pipeline, error) {
		cfg, err := ParseConfig("test.toml", []byte("status_interval = \"1h\"\n"))
		return &Pipeline{Config: cfg, Classifier: h.model}, err
	}})
	ms := time.Millisecond
	quiet := frame{scores: scores("mailbag", .9)}
	h.camera.feed(quiet) // taken at 0, classified at 120
	h.clock.waitArmed(t, 380*ms)
	h.reload <- struct{}{} // its trial inference takes 20 ms
	waitFor(t, h.log, "event=reload", 1)
	h.clock.waitArmed(t, 360*ms)
	h.clock.Advance(360 * ms)
	h.camera.feed(quiet) // taken at 500 under max_fps = 2, classified at 620
	h.camera.feed(quiet) // taken at once: no budget any more
	h.camera.settle()
	h.stop()
	want := []time.Duration{0, 500 * ms, 620 * ms, 740 * ms}
	if got := h.camera.takenAt(); !slices.Equal(got, want) {
		t.Errorf("frames taken at %v\nwant %v", got, want)
	}
	if r := records(t, h.log.String(), "reload"); len(r) != 1 || r[0]["ok"] != "1" {
		t.Errorf("reload records %v", r)
	}
}

// TestThrottlingFaults: the board's throttling state is in every status
// record; a condition that starts is a fault record naming the
// conditions, and their end a recovered record. The pins are not
// touched.
func TestThrottlingFaults(t *testing.T) {
	h := startDaemon(t, "status_interval = \"1s\"\nfault_pin = \"GPIO22\"\n", Deps{})
	quiet := frame{scores: scores("mailbag", .9)}
	feedUntil := func(want string, n int) { // feeds frames until the log has n of want
		t.Helper()
		for range 100 {
			h.camera.feed(quiet)
			for start := time.Now(); time.Since(start) < 20*time.Millisecond; time.Sleep(time.Millisecond) {
				if strings.Count(h.log.String(), want) >= n {
					return
				}
			}
		}
		t.Fatalf("no %q in the log after 100 frames:\n%s", want, h.log.String())
	}
	feedUntil("event=status", 1)
	h.throttle.state.Store(uint32(UnderVoltage|Throttled) | uint32(UnderVoltage|Throttled)<<16)
	feedUntil("event=fault", 1)
	h.throttle.state.Store(uint32(UnderVoltage|Throttled|SoftTempLimit) | uint32(UnderVoltage|Throttled)<<16)
	feedUntil("event=fault", 2) // a new condition: another fault record
	h.throttle.state.Store(uint32(UnderVoltage|Throttled|SoftTempLimit) << 16)
	feedUntil("event=recovered", 1)
	feedUntil("event=status", 5)
	h.stop()

	faults := records(t, h.log.String(), "fault")
	if len(faults) != 2 || faults[0]["source"] != "throttle" || faults[0]["error"] != "under-voltage, throttled" || faults[0]["throttled"] != "0x50005" ||
		faults[1]["error"] != "under-voltage, throttled, soft temperature limit" || faults[1]["throttled"] != "0x5000d" {
		t.Errorf("fault records %v", faults)
	}
	if r := records(t, h.log.String(), "recovered"); len(r) != 1 || r[0]["source"] != "throttle" || r[0]["throttled"] != "0xd0000" {
		t.Errorf("recovered records %v", r)
	}
	var states []string
	for _, s := range records(t, h.log.String(), "status") {
		if s["fault"] != "" {
			t.Errorf("status %v: throttling is no fault of the camera or the model", s)
		}
		states = append(states, s["throttled"])
	}
	if states[0] != "0x0" || states[len(states)-1] != "0xd0000" {
		t.Errorf("throttled in the status records: %v", states)
	}
	if got := h.transitions("GPIO22"); len(got) != 0 {
		t.Errorf("fault pin %v: throttling must not light it", got)
	}
}

func TestThrottlingNames(t *testing.T) {
	for _, tt := range []struct {
		state           Throttling
		now, since, hex string
	}{
		{0, "none", "none", "0x0"},
		{0x50005, "under-voltage, throttled", "under-voltage, throttled", "0x50005"},
		{0x80008, "soft temperature limit", "soft temperature limit", "0x80008"},
		{0xf0000, "none", "under-voltage, frequency capped, throttled, soft temperature limit", "0xf0000"},
		{0x2, "frequency capped", "none", "0x2"},
	} {
		if now, since, hex := tt.state.Now().String(), tt.state.SinceBoot().String(), tt.state.Hex(); now != tt.now || since != tt.since || hex != tt.hex {
			t.Errorf("%#x: now %q, since boot %q, %s; want %q, %q, %s", uint32(tt.state), now, since, hex, tt.now, tt.since, tt.hex)
		}
	}
}

// TestFirmwareThrottle reads the firmware driver's file as the Raspberry
// Pi kernel writes it (hexadecimal without 0x), under the bus names of
// the Pi 4 and the Pi 5.
func TestFirmwareThrottle(t *testing.T) {
	for _, bus := range []string{"soc/soc:firmware", "soc@107c000000/soc@107c000000:firmware"} {
		root := t.TempDir()
		dir := filepath.Join(root, "sys/devices/platform", bus)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "get_throttled")
		if err := os.WriteFile(file, []byte("50005\n"), 0o444); err != nil {
			t.Fatal(err)
		}
		if got, err := NewFirmwareThrottle(root).Throttling(); err != nil || got != 0x50005 {
			t.Errorf("%s: %#x, %v; want 0x50005", bus, uint32(got), err)
		}
		if err := os.WriteFile(file, []byte("busy\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := NewFirmwareThrottle(root).Throttling(); err == nil || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: a file that is no number: %v", bus, err)
		}
	}
	if _, err := NewFirmwareThrottle(t.TempDir()).Throttling(); !errors.Is(err, ErrNoThrottling) {
		t.Errorf("no firmware file: %v, want ErrNoThrottling", err)
	}
}
