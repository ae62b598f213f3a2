package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/internal/testenv"
	"periph.io/x/conn/v3/gpio"
)

// TestSmokeChecksEveryPart runs the smoke test with simulated pins, a
// sample video as camera and a pseudo-terminal as the serial port: the
// model, camera, budget, pins, serial and throttling checks pass (the
// last says so on a machine that is no Raspberry Pi) and the record
// arrives on the port. The temperature check passes only where the
// machine has a thermal zone, and is then the only failure allowed.
func TestSmokeChecksEveryPart(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	video := filepath.Join(testenv.SharedData(t), "videos", "gocv_small.mp4")
	cfg := writeConfig(t, daemonModel(t), video, tty.Name())

	var out strings.Builder
	err = runSmoke([]string{"--config", cfg, "--sim", "--frames", "5", "--blink", "1ms"}, &out, &out)
	t.Logf("smoke test output:\n%s", out.String())
	for _, check := range []string{"model", "camera", "budget", "pins", "serial", "throttling"} {
		if !strings.Contains(out.String(), "ok   "+check) {
			t.Errorf("check %s did not pass", check)
		}
	}
	for _, pin := range []string{"pin GPIO22 -> high", "pin GPIO17 -> high", "pin GPIO17 -> low"} {
		if !strings.Contains(out.String(), pin) {
			t.Errorf("no %q: not every pin blinked", pin)
		}
	}
	_, statErr := os.Stat("/sys/class/thermal/thermal_zone0/temp")
	switch {
	case statErr == nil && err != nil:
		t.Errorf("smoke test failed on a machine with a thermal zone: %v", err)
	case statErr != nil && (err == nil || !strings.Contains(out.String(), "FAIL temperature") || !strings.Contains(err.Error(), "1 of 7")):
		t.Errorf("without a thermal zone the temperature check must be the one failure; got %v", err)
	}

	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(ptmx)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "event=smoke") {
				line <- sc.Text()
				return
			}
		}
	}()
	select {
	case l := <-line:
		t.Logf("on the serial port: %s", strings.TrimSpace(l))
	case <-time.After(5 * time.Second):
		t.Error("the smoke record did not reach the serial port")
	}
}

func TestGPIOTestSim(t *testing.T) {
	code, out, errOut := neonet("gpio", "test", "GPIO17", "--sim", "--count", "2", "--period", "4ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "pin GPIO17 -> high\npin GPIO17 -> low\npin GPIO17 -> high\npin GPIO17 -> low\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	// Active low: opening drives it high (inactive); blinking pulls it low.
	_, out, _ = neonet("gpio", "test", "GPIO5", "--sim", "--active-low", "--count", "1", "--period", "2ms")
	if want := "pin GPIO5 -> high\npin GPIO5 -> low\npin GPIO5 -> high\n"; out != want {
		t.Errorf("active low: %q, want %q", out, want)
	}
}

func TestGPIOTestErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"gpio"}, 2, "want 'neonet gpio test PIN"},
		{[]string{"gpio", "blink", "GPIO17"}, 2, "want 'neonet gpio test PIN"},
		{[]string{"gpio", "test", "--sim"}, 2, "want exactly one PIN"},
		{[]string{"gpio", "test", "GPIO17", "--sim", "--count", "0"}, 2, "--count 0"},
		{[]string{"gpio", "test", "GPIO17", "--sim", "--period", "1ns"}, 2, "--period 1ns"},
		{[]string{"gpio", "test", "GPIO_NOT_ON_THIS_BOARD"}, 1, `no pin named "GPIO_NOT_ON_THIS_BOARD"`},
	} {
		code, _, errOut := neonet(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	if code, out, _ := neonet("gpio", "--help"); code != 0 || !strings.Contains(out, "Usage: neonet gpio test PIN") {
		t.Errorf("gpio --help: exit %d, %q", code, out)
	}
}

// TestGPIOSafe: every pin of a configuration, left active by a process
// that died, is driven to its inactive level (high for an active-low
// rule), on a simulated board.
func TestGPIOSafe(t *testing.T) {
	board := t.TempDir()
	t.Setenv(pins.SimBoardEnv, board)
	cfg := testenv.TempFile(t, "neonet.toml", `gpio = "sim"
heartbeat_pin = "GPIO27"
fault_pin = "GPIO22"
[[rule]]
labels = ["tabby"]
pin = "GPIO17"
[[rule]]
labels = ["dog"]
pin = "GPIO23"
active_low = true
`)
	// What a killed daemon left: rules active, heartbeat high, fault lit.
	for name, level := range map[string]string{"GPIO27": "1", "GPIO22": "1", "GPIO17": "1", "GPIO23": "0"} {
		os.WriteFile(filepath.Join(board, name), []byte(level+"\n"), 0o644)
	}
	code, out, errOut := neonet("gpio", "safe", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for name, want := range map[string]gpio.Level{"GPIO27": gpio.Low, "GPIO22": gpio.Low, "GPIO17": gpio.Low, "GPIO23": gpio.High} {
		if got, err := pins.ReadSimLevel(board, name); err != nil || got != want {
			t.Errorf("%s after gpio safe: %v, %v; want %v", name, got, err, want)
		}
	}
	for _, want := range []string{"pin GPIO17 -> low", "pin GPIO23 -> high", "GPIO17 inactive (low)", "GPIO23 inactive (high)", "GPIO22 inactive (low)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := neonet("gpio", "safe", "--config", filepath.Join(board, "none.toml")); code != 1 || !strings.Contains(errOut, "none.toml") {
		t.Errorf("missing configuration: exit %d, %q", code, errOut)
	}
}
