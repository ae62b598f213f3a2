package footprint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/daemontest"
	"neonet.dev/neonet/internal/testenv"
)

// window is how long each run is measured, from its first classified
// frame.
const window = 20 * time.Second

// The promises of docs/firmware.md for SqueezeNet 1.1 at max_fps = 5.
const (
	maxCPUShare = 0.15      // of one core, on average over the window
	maxRSS      = 120 << 20 // peak resident memory of the process, bytes
)

// measurement is what one run of the daemon used.
type measurement struct {
	frames      int           // classified in the window
	cpu         time.Duration // the process's CPU time in the window
	lifeCPU     time.Duration // ... over its whole life, start-up included
	life        time.Duration // wall time from start to exit
	maxRSS      int64         // peak resident memory, bytes
	inferMs     []string      // median inference time of each status record
	cameraDrops int           // frames the camera delivered that were not classified
}

func (m measurement) String() string {
	return fmt.Sprintf("%d frames in %v, CPU time %v (%.1f%% of one core; %v over the process's %v life, start-up included), "+
		"peak RSS %.1f MB, inference %v ms (status records), %d camera frames not classified",
		m.frames, window, m.cpu.Round(time.Millisecond), 100*m.cpu.Seconds()/window.Seconds(), m.lifeCPU.Round(time.Millisecond),
		m.life.Round(time.Millisecond), float64(m.maxRSS)/(1<<20), strings.Join(m.inferMs, " "), m.cameraDrops)
}

// TestFrameRateBudget: neonet run with SqueezeNet 1.1 on a 640x480
// camera at 30 frames/s (the synthetic one: no camera hardware here), at
// max_fps = 5 and at max_fps = 0, each for 20 s from its first frame, one
// after the other. Under the budget the daemon classifies 5 frames a
// second (95-105 frames), its CPU time is under 15% of one core and under
// half the unbudgeted run's, and its peak RSS stays under 120 MB. The
// CPU figures are the process's own CPU time, so other processes on the
// machine change them little.
func TestFrameRateBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for 40 s")
	}
	model := testenv.Golden(t, "int8", "squeezenet1_1.neonet")
	budget := run(t, model, 5)
	t.Logf("max_fps = 5: %v", budget)
	free := run(t, model, 0)
	t.Logf("max_fps = 0: %v", free)
	t.Logf("CPU time over the same %v: %v at max_fps = 5, %v at max_fps = 0 (%.1fx)", window,
		budget.cpu.Round(time.Millisecond), free.cpu.Round(time.Millisecond), free.cpu.Seconds()/budget.cpu.Seconds())

	if budget.frames < 95 || budget.frames > 105 {
		t.Errorf("max_fps = 5 classified %d frames in %v, want 95 to 105", budget.frames, window)
	}
	if share := budget.cpu.Seconds() / window.Seconds(); share >= maxCPUShare {
		t.Errorf("max_fps = 5 used %.1f%% of one core, want under %.0f%%", 100*share, 100*maxCPUShare)
	}
	if budget.cpu*2 > free.cpu {
		t.Errorf("max_fps = 5 used %v of CPU time, max_fps = 0 %v: want under half of it", budget.cpu, free.cpu)
	}
	if free.frames <= 2*budget.frames {
		t.Errorf("max_fps = 0 classified %d frames, max_fps = 5 %d: the camera's 30 frames/s should have given far more", free.frames, budget.frames)
	}
	if budget.maxRSS >= maxRSS {
		t.Errorf("max_fps = 5: peak RSS %.1f MB, want under %d MB", float64(budget.maxRSS)/(1<<20), maxRSS>>20)
	}
}

// run starts neonet run with the model at maxFPS, measures the window
// from the ready record (the first classified frame), then stops it with
// SIGTERM.
func run(t *testing.T, model string, maxFPS float64) measurement {
	t.Helper()
	cfg := testenv.TempFile(t, "neonet.toml", fmt.Sprintf(`model = %q
camera = "synthetic:640x480"
camera_fps = 30
max_fps = %v
gpio = "sim"
status_interval = "5s"

[serial]
port = ""
`, model, maxFPS))
	p := daemontest.Start(t, nil, "run", "--config", cfg)
	p.WaitLine(t, p.Stdout, time.Minute, "event=ready")
	cpu0 := processCPU(t, p.Cmd.Process.Pid)
	time.Sleep(window)
	cpu1 := processCPU(t, p.Cmd.Process.Pid)
	_, rest, err := p.Stop(t, syscall.SIGTERM, 10*time.Second)
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, p.Stderr())
	}
	m := measurement{cpu: cpu1 - cpu0, life: time.Since(p.Started), frames: -1}
	for _, line := range rest {
		f, err := serlog.Parse(line)
		if err != nil {
			continue
		}
		switch f["event"] {
		case "status":
			m.inferMs = append(m.inferMs, f["infer_ms"])
			n, _ := strconv.Atoi(f["dropped"])
			m.cameraDrops += n
		case "stop":
			// Every frame since the ready record's, which is the first.
			if m.frames, err = strconv.Atoi(f["frames"]); err != nil {
				t.Fatalf("stop record %q: %v", line, err)
			}
		}
	}
	if m.frames < 0 {
		t.Fatalf("no stop record after SIGTERM:\n%s", strings.Join(rest, "\n"))
	}
	ru, ok := p.Cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no resource usage for the process")
	}
	m.lifeCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m.maxRSS = int64(ru.Maxrss) << 10 // kilobytes on Linux
	return m
}

// processCPU is the CPU time, user and system, that process pid has used
// so far: fields 14 and 15 of /proc/PID/stat, in clock ticks (100 a
// second on Linux).
func processCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields from the third on follow its closing one.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		t.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	var ticks int64
	for _, f := range fields[11:13] { // utime, stime
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/stat: utime or stime %q: %v", pid, f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100)
}
