package smoke_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/smoke"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/internal/testmodel"
)

// The checks run in order on the daemon's configuration (here with the
// synthetic camera, no serial port, simulated pins, and a board whose
// firmware reports under-voltage and throttling since boot); each is
// reported as it completes.
func TestRunChecksInOrder(t *testing.T) {
	cfg := testenv.TempFile(t, "neonet.toml", fmt.Sprintf(`model = %q
camera = "synthetic:64x48"
heartbeat_pin = "GPIO27"
max_fps = 10

[serial]
port = ""

[[rule]]
labels = ["cat"]
pin = "GPIO17"
`, testmodel.File(t)))
	root := t.TempDir()
	for file, content := range map[string]string{
		"sys/class/thermal/thermal_zone0/temp":                "48312\n",
		"sys/devices/platform/soc/soc:firmware/get_throttled": "50000\n",
	} {
		path := filepath.Join(root, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var pins strings.Builder
	var reported []string
	checks, err := smoke.Run(firmware.Options{Config: cfg, SimPins: true},
		smoke.Options{Frames: 3, Blink: time.Millisecond, Stdout: &pins, SysRoot: root},
		func(c smoke.Check) { reported = append(reported, c.Name) })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reported, " "); got != "model camera budget pins serial temperature throttling" || len(checks) != 7 {
		t.Fatalf("reported %q, %d checks", got, len(checks))
	}
	for _, c := range checks {
		t.Logf("%s: %s", c.Name, c.Info)
		if c.Err != nil {
			t.Errorf("%s: %v", c.Name, c.Err)
		}
	}
	if info := checks[1].Info; !strings.Contains(info, "3 frames of 64x48") {
		t.Errorf("camera: %q", info)
	}
	if info := checks[2].Info; !strings.Contains(info, " fps (max_fps 10): ") || !strings.Contains(info, "% of one core") {
		t.Errorf("budget: %q", info)
	}
	if info := checks[5].Info; info != "48.3 °C" {
		t.Errorf("temperature: %q", info)
	}
	if info := checks[6].Info; info != "none now; since boot: under-voltage, throttled (0x50000)" {
		t.Errorf("throttling: %q", info)
	}
	if got := pins.String(); got != "pin GPIO27 -> high\npin GPIO27 -> low\npin GPIO17 -> high\npin GPIO17 -> low\n" {
		t.Errorf("pin transitions %q: want each pin blinked once, in order", got)
	}
	if !strings.Contains(checks[4].Info, "disabled") {
		t.Errorf("serial: %q", checks[4].Info)
	}

	// A configuration that does not load is the one check.
	checks, err = smoke.Run(firmware.Options{Config: filepath.Join(t.TempDir(), "none.toml")}, smoke.Options{Frames: 1, Blink: time.Millisecond},
		func(smoke.Check) {})
	if err == nil || len(checks) != 1 || checks[0].Name != "model" || checks[0].Err == nil {
		t.Errorf("missing configuration: %v, %+v", err, checks)
	}
}
