package firmware

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/serlog"
)

func TestOpenOutputsSim(t *testing.T) {
	cfg, err := ParseConfig("c.toml", []byte(`gpio = "sim"
fault_pin = "GPIO22"
[serial]
port = ""
[[rule]]
labels = ["tabby"]
pin = "GPIO17"
active_low = true
`))
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	o, err := OpenOutputs(cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Pins.Pins) != 2 || o.Pins.ByName("GPIO17") == nil || o.Pins.ByName("GPIO22") == nil {
		t.Fatalf("pins %v", o.Pins.Pins)
	}
	if err := o.List()[0].Level("GPIO17", true); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	want := "pin GPIO17 -> high\npin GPIO17 -> low\npin GPIO17 -> high\n" // active low: inactive is high
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}

}

// TestOpenOutputsWithoutSerialPort: a serial port missing at start is not
// an error: the records go to stdout, a fault record says why the port
// is missing, and the status record counts what it did not get.
func TestOpenOutputsWithoutSerialPort(t *testing.T) {
	cfg, err := ParseConfig("c.toml", []byte("gpio = \"sim\"\n[serial]\nport = \"/nonexistent/ttyAMA9\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	o, err := OpenOutputs(cfg, &out)
	if err != nil {
		t.Fatalf("missing serial port: %v", err)
	}
	log := o.List()[1]
	log.Record(serlog.New(time.Now(), "start"))
	waitFor(t, &out, "event=fault", 1)
	status := serlog.New(time.Now(), "status")
	log.(StatusReporter).Status(status)
	log.Record(status)
	o.Close()
	recs := records(t, out.String())
	if len(recs) != 3 || recs[0]["event"] != "start" || recs[1]["source"] != "serial" || !strings.Contains(recs[1]["error"], "/nonexistent/ttyAMA9") ||
		recs[2]["serial_lost"] != "2" {
		t.Errorf("records %v: want start, the serial fault and a status counting both as lost", recs)
	}
}

func TestSignals(t *testing.T) {
	ctx, reload, stop := Signals(t.Context())
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reload:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not ask for a reload")
	}
	if ctx.Err() != nil {
		t.Fatal("SIGHUP stopped the daemon")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
}

func TestNotifyWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := (Systemd{}).Notify("READY=1"); err != nil {
		t.Errorf("without systemd, Notify must be a no-op: %v", err)
	}
	t.Setenv("WATCHDOG_USEC", "20000000")
	t.Setenv("WATCHDOG_PID", "")
	if got := WatchdogInterval(); got != 10*time.Second {
		t.Errorf("WatchdogSec=20s: ping every %v, want 10s", got)
	}
	t.Setenv("WATCHDOG_USEC", "")
	if got := WatchdogInterval(); got != 0 {
		t.Errorf("no watchdog: %v", got)
	}
}
