package firmware

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
)

// TestSystemdUnit checks deploy/systemd/neonet.service: the directives the
// daemon relies on, and systemd-analyze verify (when installed) without a
// single warning.
func TestSystemdUnit(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(t), "deploy", "systemd", "neonet.service")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	directives := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("line %q is not Key=value", line)
			continue
		}
		directives[k] = append(directives[k], v)
	}
	has := func(key, value string) {
		t.Helper()
		for _, v := range directives[key] {
			if v == value {
				return
			}
		}
		t.Errorf("%s: no %s=%s (have %q)", path, key, value, directives[key])
	}
	has("Type", "notify")
	has("Restart", "always")
	has("ExecReload", "/bin/kill -HUP $MAINPID")
	// Pins safe after any death: the stop-post command reads the same
	// configuration as the daemon.
	has("ExecStart", "/usr/local/bin/neonet run --config "+DefaultConfigPath)
	has("ExecStopPost", "/usr/local/bin/neonet gpio safe --config "+DefaultConfigPath)
	has("SupplementaryGroups", "gpio dialout video")
	has("ProtectSystem", "strict")
	has("DevicePolicy", "closed")
	for _, dev := range []string{"char-gpiochip rw", "char-ttyAMA rw", "char-ttyS rw", "char-video4linux rw"} {
		has("DeviceAllow", dev)
	}
	for _, key := range []string{"WatchdogSec", "RestartSec", "StartLimitIntervalSec", "StartLimitBurst"} {
		if len(directives[key]) != 1 {
			t.Errorf("%s: want one %s", path, key)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: directives checked, not verified by systemd")
		return
	}
	// verify wants the ExecStart binary to exist.
	unit := filepath.Join(t.TempDir(), "neonet.service")
	if err := os.WriteFile(unit, bytes.ReplaceAll(data, []byte("/usr/local/bin/neonet"), []byte("/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
