package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"neonet.dev/neonet/internal/testenv"
)

// These tests run the neonet binary as systemd would: a real process, a
// camera reading photos, the real int8 SqueezeNet 1.1, simulated pins, a
// pseudo-terminal as the serial port, and signals.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// neonetBinary builds cmd/neonet once for the package's tests.
func neonetBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "neonet-e2e")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "neonet")
		out, err := exec.Command(goCommand(), "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// photoFolder makes a camera folder: each photo of ../shared/data/images/samples
// named in seq, repeated n times, in order.
func photoFolder(t *testing.T, n int, seq ...string) string {
	t.Helper()
	samples := filepath.Join(testenv.SharedData(t), "images", "samples")
	dir := filepath.Join(t.TempDir(), "frames")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, name := range seq {
		data, err := os.ReadFile(filepath.Join(samples, name))
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d%s", i, filepath.Ext(name))), data, 0o644); err != nil {
				t.Fatal(err)
			}
			i++
		}
	}
	return dir
}

// daemonModel is the int8 SqueezeNet 1.1 with real weights from make golden.
func daemonModel(t *testing.T) string {
	return filepath.Join(testenv.Golden(t), "int8", "squeezenet1_1.neonet")
}

const catRule = `
[[rule]]
labels = ["Egyptian cat", "tiger cat", "tabby"]
min_score = 0.25
frames = 3
release = 3
pin = "GPIO17"
mode = "on"
`

// writeConfig writes a configuration with the cat rule and a fault pin.
func writeConfig(t *testing.T, model, cameraSpec, serialPort string) string {
	t.Helper()
	cfg := fmt.Sprintf(`model = %q
camera = %q
gpio = "sim"
fault_pin = "GPIO22"
status_interval = "1s"
retry_interval = "200ms"

[serial]
port = %q
`, model, cameraSpec, serialPort) + catRule
	path := filepath.Join(t.TempDir(), "neonet.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// daemon is a running neonet run process with its output as lines.
type daemon struct {
	cmd    *exec.Cmd
	stdout chan string
	stderr *strings.Builder
	done   chan error
	mu     sync.Mutex
	seen   []string
}

func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(neonetBinary(t), append([]string{"run"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, stdout: make(chan string, 4096), stderr: &strings.Builder{}, done: make(chan error, 1)}
	cmd.Stderr = &syncWriter{w: d.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			d.stdout <- sc.Text()
		}
		close(d.stdout)
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return d
}

// waitLine reads lines from ch until one contains every part, failing
// after timeout; the lines read are remembered for later checks.
func (d *daemon) waitLine(t *testing.T, ch <-chan string, timeout time.Duration, parts ...string) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before a line with %q; stderr:\n%s", parts, d.stderr.String())
			}
			d.mu.Lock()
			d.seen = append(d.seen, line)
			d.mu.Unlock()
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return line
			}
		case <-deadline:
			t.Fatalf("no line with %q within %v; stderr:\n%s", parts, timeout, d.stderr.String())
		}
	}
}

// waitAll waits for lines matching each group of parts, in any order.
func (d *daemon) waitAll(t *testing.T, ch <-chan string, timeout time.Duration, groups ...[]string) {
	t.Helper()
	deadline := time.After(timeout)
	left := append([][]string(nil), groups...)
	for len(left) > 0 {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before lines with %q; stderr:\n%s", left, d.stderr.String())
			}
			for i, parts := range left {
				all := true
				for _, p := range parts {
					all = all && strings.Contains(line, p)
				}
				if all {
					left = append(left[:i], left[i+1:]...)
					break
				}
			}
		case <-deadline:
			t.Fatalf("no lines with %q within %v; stderr:\n%s", left, timeout, d.stderr.String())
		}
	}
}

// stop sends sig and returns the exit error and how long the process took
// to end, with the rest of its output.
func (d *daemon) stop(t *testing.T, sig syscall.Signal) (time.Duration, []string, error) {
	t.Helper()
	t0 := time.Now()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second) // covers the output's end too
	var rest []string
	for open := true; open; {
		select {
		case line, ok := <-d.stdout:
			if ok {
				rest = append(rest, line)
			}
			open = ok
		case <-timeout:
			t.Fatalf("the daemon did not exit within 10 s; output since the signal:\n%s", strings.Join(rest, "\n"))
		}
	}
	select {
	case err := <-d.done:
		return time.Since(t0), rest, err
	case <-timeout:
		t.Fatal("the daemon did not exit within 10 s")
	}
	return 0, nil, nil
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// serialLines reads the records the daemon writes to the pseudo-terminal.
func serialLines(t *testing.T) (port string, lines <-chan string, closePort func()) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	port = tty.Name()
	// The daemon opens the terminal by name, as it would /dev/serial0. The
	// test keeps its own descriptor open until the end: with no open
	// terminal side, reads of the controlling side fail.
	t.Cleanup(func() { tty.Close() })
	ch := make(chan string, 4096)
	go func() {
		sc := bufio.NewScanner(ptmx)
		for sc.Scan() {
			ch <- strings.TrimRight(sc.Text(), "\r")
		}
		close(ch)
	}()
	var once sync.Once
	closePort = func() { once.Do(func() { ptmx.Close() }) }
	t.Cleanup(closePort)
	return port, ch, closePort
}

// TestRunEndToEnd: photos of a cat, then of a parrot, as the camera. The
// cat rule's pin goes high after its detections and low after the
// release, the serial port says so, and SIGTERM while the pin is high
// ends the daemon promptly (about 0.2 s; the test allows 3 s, for a loaded
// machine, well inside systemd's 15 s stop timeout), pin low, exit status
// 0.
func TestRunEndToEnd(t *testing.T) {
	frames := photoFolder(t, 4, "cat.bmp", "parrot.jpg")
	port, serial, _ := serialLines(t)
	cfg := writeConfig(t, daemonModel(t), frames, port)
	// 5 frames/s: the classifier keeps up even on a loaded machine, so
	// the cat rule's 3 detections in a row come on every pass of the
	// photos.
	d := startDaemon(t, "--config", cfg, "--loop", "--camera-fps", "5")

	d.waitLine(t, d.stdout, 60*time.Second, "event=ready")
	d.waitLine(t, d.stdout, 30*time.Second, "pin GPIO17 -> high")
	d.waitLine(t, serial, 30*time.Second, "event=detect", "rule=1", "pin=GPIO17", "state=1")
	d.waitLine(t, d.stdout, 30*time.Second, "pin GPIO17 -> low")
	d.waitLine(t, serial, 30*time.Second, "event=release", "rule=1", "pin=GPIO17", "state=0")
	d.waitLine(t, d.stdout, 30*time.Second, "pin GPIO17 -> high") // the cat again: stop while the pin is high

	took, rest, err := d.stop(t, syscall.SIGTERM)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v (want status 0); stderr:\n%s", err, d.stderr.String())
	}
	if took > 3*time.Second {
		t.Errorf("SIGTERM took %v to end the daemon, want under 3 s", took)
	}
	tail := strings.Join(rest, "\n")
	if !strings.Contains(tail, "pin GPIO17 -> low") || !strings.Contains(tail, "event=stop") {
		t.Errorf("after SIGTERM the output lacks the pin going low or the stop record:\n%s", tail)
	}
	t.Logf("SIGTERM to exit: %v", took)
}

// TestRunCameraVanishes: the camera folder disappears mid-run and comes
// back: the fault pin lights with a fault record naming the camera, then
// goes out with a recovery record, and the daemon goes on.
func TestRunCameraVanishes(t *testing.T) {
	frames := photoFolder(t, 2, "cat.bmp")
	cfg := writeConfig(t, daemonModel(t), frames, "")
	d := startDaemon(t, "--config", cfg, "--loop", "--camera-fps", "10")
	d.waitLine(t, d.stdout, 60*time.Second, "event=ready")

	away := frames + ".away"
	if err := os.Rename(frames, away); err != nil {
		t.Fatal(err)
	}
	d.waitAll(t, d.stdout, 30*time.Second, []string{"event=fault", "source=camera"}, []string{"pin GPIO22 -> high"})
	if err := os.Rename(away, frames); err != nil {
		t.Fatal(err)
	}
	d.waitAll(t, d.stdout, 30*time.Second, []string{"event=recovered", "source=camera"}, []string{"pin GPIO22 -> low"})
	d.waitLine(t, d.stdout, 10*time.Second, "event=status")
	if _, _, err := d.stop(t, syscall.SIGINT); err != nil {
		t.Errorf("exit after SIGINT: %v", err)
	}
}

// TestRunRejectsACorruptModel: a damaged model file stops the start with
// an error that names the file, and a non-zero exit status.
func TestRunRejectsACorruptModel(t *testing.T) {
	data, err := os.ReadFile(daemonModel(t))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	bad := filepath.Join(t.TempDir(), "damaged.neonet")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, bad, photoFolder(t, 1, "cat.bmp"), "")
	out, err := exec.Command(neonetBinary(t), "run", "--config", cfg).CombinedOutput()
	if err == nil {
		t.Fatalf("a corrupt model was accepted:\n%s", out)
	}
	if !strings.Contains(string(out), "damaged.neonet") || !strings.Contains(strings.ToLower(string(out)), "checksum") {
		t.Errorf("the error does not name the file and the checksum:\n%s", out)
	}
}

// TestRunReloadKeepsTheOldModel: SIGHUP with a damaged model file is
// reported and the running model keeps classifying; a repaired file then
// reloads.
func TestRunReloadKeepsTheOldModel(t *testing.T) {
	good, err := os.ReadFile(daemonModel(t))
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(t.TempDir(), "model.neonet")
	if err := os.WriteFile(model, good, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, model, photoFolder(t, 2, "cat.bmp"), "")
	d := startDaemon(t, "--config", cfg, "--loop", "--camera-fps", "10")
	d.waitLine(t, d.stdout, 60*time.Second, "event=ready")

	bad := append([]byte(nil), good...)
	bad[len(bad)/3] ^= 1
	if err := os.WriteFile(model, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLine(t, d.stdout, 30*time.Second, "event=reload", "ok=0")
	d.waitLine(t, d.stdout, 10*time.Second, "event=status")
	if line := d.waitLine(t, d.stdout, 10*time.Second, "event=status"); strings.Contains(line, "fps=0.0") {
		t.Errorf("no frames classified after the failed reload: %s", line)
	}

	if err := os.WriteFile(model, good, 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLine(t, d.stdout, 30*time.Second, "event=reload", "ok=1")
	if _, _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// TestRunSerialPortGone: the serial port's other end goes away mid-run;
// inference and the journal go on, and the status records count the
// failed writes.
func TestRunSerialPortGone(t *testing.T) {
	port, serial, closePort := serialLines(t)
	cfg := writeConfig(t, daemonModel(t), photoFolder(t, 2, "cat.bmp"), port)
	d := startDaemon(t, "--config", cfg, "--loop", "--camera-fps", "10")
	d.waitLine(t, serial, 60*time.Second, "event=ready")
	closePort()
	d.waitLine(t, d.stdout, 10*time.Second, "event=status")
	line := d.waitLine(t, d.stdout, 10*time.Second, "event=status")
	if !strings.Contains(line, "fps=") {
		t.Errorf("status without fps: %s", line)
	}
	t.Logf("after the port went away: %s", line)
	if _, _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// goCommand is the go command that runs this test: the one on PATH, else
// the standard install location.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}
