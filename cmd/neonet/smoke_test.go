package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"neonet.dev/neonet/internal/testenv"
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
