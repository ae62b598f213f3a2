package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/testenv"
)

// TestRunSoak runs the daemon in this process at full speed on a sample
// video for NEONET_SOAK (default one minute, 20 seconds with -short; `make
// soak` runs it for 30 minutes): the heap and the goroutine count must not
// grow, every line on stdout must be a pin transition or a well-formed
// record, and every detection record must match a pin transition unless the
// log counted it as dropped.
func TestRunSoak(t *testing.T) {
	duration := time.Minute
	if testing.Short() {
		duration = 20 * time.Second
	}
	if v := os.Getenv("NEONET_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("NEONET_SOAK=%q: %v", v, err)
		}
		duration = d
	}
	video := filepath.Join(testenv.SharedData(t), "videos", "Megamind.avi")
	cfg := writeConfig(t, daemonModel(t), video, "")
	// Rules that fire often on this clip, so that pins and records are
	// exercised all along.
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`
[[rule]]
labels = ["wig", "hair spray", "bonnet", "cowboy hat", "mask", "sombrero"]
min_score = 0.2
frames = 1
release = 1
pin = "GPIO23"
mode = "on"
`)
	f.Close()

	r, w := io.Pipe()
	type tally struct {
		lines, highs, detects, statuses int
		overflow, errors                int
		bad                             []string
	}
	got := make(chan tally, 1)
	go func() {
		var c tally
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			c.lines++
			if strings.HasPrefix(line, "pin ") {
				// The fault pin (GPIO22) rises with a fault record, not
				// a detection.
				if strings.HasSuffix(line, "-> high") && !strings.HasPrefix(line, "pin GPIO22 ") {
					c.highs++
				}
				continue
			}
			rec, err := serlog.Parse(line)
			if err != nil {
				c.bad = append(c.bad, line)
				continue
			}
			switch rec["event"] {
			case "detect":
				c.detects++
			case "status":
				c.statuses++
				// Each status record counts what was lost since the last.
				n, _ := strconv.Atoi(rec["log_overflow"])
				c.overflow += n
				n, _ = strconv.Atoi(rec["log_errors"])
				c.errors += n
			}
		}
		got <- c
	}()

	type sample struct {
		heap       uint64
		goroutines int
	}
	measure := func() sample {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return sample{m.HeapAlloc, runtime.NumGoroutine()}
	}
	samples := make(chan sample, 2)
	go func() {
		time.Sleep(10 * time.Second) // warmed up: model, camera, pools, buffers
		samples <- measure()
		time.Sleep(duration - 15*time.Second)
		samples <- measure()
	}()

	err = runRun([]string{"--config", cfg, "--loop", "--camera-fps", "0", "--for", duration.String()}, w, io.Discard)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := <-got
	first, last := <-samples, <-samples
	t.Logf("%v at full speed: %d lines, %d status records, %d detections, %d pin rises, log overflow %d, write errors %d",
		duration, c.lines, c.statuses, c.detects, c.highs, c.overflow, c.errors)
	t.Logf("heap %d -> %d bytes, goroutines %d -> %d", first.heap, last.heap, first.goroutines, last.goroutines)
	if len(c.bad) > 0 {
		t.Errorf("%d malformed lines, first: %q", len(c.bad), c.bad[0])
	}
	if c.statuses < int(duration/time.Second)/2 {
		t.Errorf("%d status records in %v with a 1 s interval", c.statuses, duration)
	}
	if c.detects == 0 {
		t.Error("no detections: the soak did not exercise the rules")
	}
	if lost := c.highs - c.detects; lost < 0 || lost > c.overflow {
		t.Errorf("%d pin rises but %d detection records, with %d records counted as dropped", c.highs, c.detects, c.overflow)
	}
	if last.goroutines > first.goroutines {
		t.Errorf("goroutines grew from %d to %d", first.goroutines, last.goroutines)
	}
	if last.heap > first.heap+1<<20 {
		t.Errorf("heap grew from %d to %d bytes", first.heap, last.heap)
	}
}
