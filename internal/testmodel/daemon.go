package testmodel

import (
	"fmt"
	"testing"

	"neonet.dev/neonet/internal/testenv"
)

// DaemonConfig writes a daemon configuration for the model on camera with
// simulated pins, and returns its path: a fault pin, a status record every
// second, no serial port, and one rule on GPIO17 that every frame
// activates. extra is appended (a [http] or [mqtt] section).
func DaemonConfig(t testing.TB, camera, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`model = %q
camera = %q
gpio = "sim"
fault_pin = "GPIO22"
status_interval = "1s"

[serial]
port = ""

[[rule]]
labels = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
min_score = 0.01
frames = 1
pin = "GPIO17"
%s`, File(t), camera, extra)
	return testenv.TempFile(t, "neonet.toml", cfg)
}
