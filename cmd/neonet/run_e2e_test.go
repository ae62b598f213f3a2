package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/internal/daemontest"
	"neonet.dev/neonet/internal/testenv"
)

// These tests run the neonet binary as systemd would: a real process, a
// camera reading photos, the real int8 SqueezeNet 1.1, simulated pins, a
// pseudo-terminal as the serial port, and signals.

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
	return testenv.TempFile(t, "neonet.toml", cfg)
}

// startDaemon runs neonet run with args.
func startDaemon(t *testing.T, args ...string) *daemontest.Process {
	t.Helper()
	return daemontest.Start(t, nil, append([]string{"run"}, args...)...)
}

// TestRunEndToEnd: photos of a cat, then of a parrot, as the camera. The
// cat rule's pin goes high after its detections and low after the
// release, the serial port says so, and SIGTERM while the pin is high
// ends the daemon promptly (about 0.2 s; the test allows 3 s, for a loaded
// machine, well inside systemd's 15 s stop timeout), pin low, exit status
// 0.
func TestRunEndToEnd(t *testing.T) {
	frames := photoFolder(t, 4, "cat.bmp", "parrot.jpg")
	ser := daemontest.SerialPort(t)
	port, serial := ser.Name, ser.Lines
	cfg := writeConfig(t, daemonModel(t), frames, port)
	// 5 frames/s: the classifier keeps up even on a loaded machine, so
	// the cat rule's 3 detections in a row come on every pass of the
	// photos.
	d := startDaemon(t, "--config", cfg, "--loop", "--camera-fps", "5")

	d.WaitLine(t, d.Stdout, 60*time.Second, "event=ready")
	d.WaitLine(t, d.Stdout, 30*time.Second, "pin GPIO17 -> high")
	d.WaitLine(t, serial, 30*time.Second, "event=detect", "rule=1", "pin=GPIO17", "state=1")
	d.WaitLine(t, d.Stdout, 30*time.Second, "pin GPIO17 -> low")
	d.WaitLine(t, serial, 30*time.Second, "event=release", "rule=1", "pin=GPIO17", "state=0")
	d.WaitLine(t, d.Stdout, 30*time.Second, "pin GPIO17 -> high") // the cat again: stop while the pin is high

	took, rest, err := d.Stop(t, syscall.SIGTERM, 10*time.Second)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v (want status 0); stderr:\n%s", err, d.Stderr())
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
	d.WaitLine(t, d.Stdout, 60*time.Second, "event=ready")

	away := frames + ".away"
	if err := os.Rename(frames, away); err != nil {
		t.Fatal(err)
	}
	d.WaitAll(t, d.Stdout, 30*time.Second, []string{"event=fault", "source=camera"}, []string{"pin GPIO22 -> high"})
	if err := os.Rename(away, frames); err != nil {
		t.Fatal(err)
	}
	d.WaitAll(t, d.Stdout, 30*time.Second, []string{"event=recovered", "source=camera"}, []string{"pin GPIO22 -> low"})
	d.WaitLine(t, d.Stdout, 10*time.Second, "event=status")
	if _, _, err := d.Stop(t, syscall.SIGINT, 10*time.Second); err != nil {
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
	out, err := exec.Command(daemontest.Binary(t), "run", "--config", cfg).CombinedOutput()
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
	d.WaitLine(t, d.Stdout, 60*time.Second, "event=ready")

	bad := append([]byte(nil), good...)
	bad[len(bad)/3] ^= 1
	if err := os.WriteFile(model, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	d.Signal(t, syscall.SIGHUP)
	d.WaitLine(t, d.Stdout, 30*time.Second, "event=reload", "ok=0")
	d.WaitLine(t, d.Stdout, 10*time.Second, "event=status")
	if line := d.WaitLine(t, d.Stdout, 10*time.Second, "event=status"); strings.Contains(line, "fps=0.0") {
		t.Errorf("no frames classified after the failed reload: %s", line)
	}

	if err := os.WriteFile(model, good, 0o644); err != nil {
		t.Fatal(err)
	}
	d.Signal(t, syscall.SIGHUP)
	d.WaitLine(t, d.Stdout, 30*time.Second, "event=reload", "ok=1")
	if _, _, err := d.Stop(t, syscall.SIGTERM, 10*time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// TestRunSerialPortGone: the serial port's other end goes away mid-run;
// inference and the journal go on, and the status records count the
// failed writes.
func TestRunSerialPortGone(t *testing.T) {
	ser := daemontest.SerialPort(t)
	port, serial := ser.Name, ser.Lines
	cfg := writeConfig(t, daemonModel(t), photoFolder(t, 2, "cat.bmp"), port)
	d := startDaemon(t, "--config", cfg, "--loop", "--camera-fps", "10")
	d.WaitLine(t, serial, 60*time.Second, "event=ready")
	ser.HangUp()
	d.WaitLine(t, d.Stdout, 10*time.Second, "event=status")
	line := d.WaitLine(t, d.Stdout, 10*time.Second, "event=status")
	if !strings.Contains(line, "fps=") {
		t.Errorf("status without fps: %s", line)
	}
	t.Logf("after the port went away: %s", line)
	if _, _, err := d.Stop(t, syscall.SIGTERM, 10*time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}
