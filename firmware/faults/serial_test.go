package faults

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/daemontest"
)

// TestSerialHungUpAndBack: the serial port (a link, as /dev/serial0 is,
// to a pseudo-terminal) hangs up; the records go on to stdout, a fault
// record says so, the status records count what the port did not get, and
// the port is opened again once the link leads to a working terminal.
// Nothing is lost without being counted: every record on stdout reached
// one of the two terminals or is counted in serial_lost.
func TestSerialHungUpAndBack(t *testing.T) {
	t.Parallel()
	link := filepath.Join(t.TempDir(), "serial0")
	first := daemontest.SerialPort(t)
	if err := os.Symlink(first.Name, link); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, link, "")
	r.restoreCamera(t)
	p := r.start(t)
	p.WaitLine(t, first.Lines, startWait, "event=ready")
	p.WaitLine(t, first.Lines, eventWait, "event=status")
	first.HangUp()
	hungUp := time.Now()
	p.WaitLine(t, p.Stdout, eventWait, "event=fault", "source=serial")
	p.WaitLine(t, p.Stdout, eventWait, "event=status", "serial_lost=")
	p.WaitLine(t, p.Stdout, eventWait, "event=status", "serial_lost=")

	second := daemontest.SerialPort(t)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(second.Name, link); err != nil {
		t.Fatal(err)
	}
	relinked := time.Now()
	p.WaitLine(t, p.Stdout, eventWait, "event=recovered", "source=serial")
	back := time.Now()
	p.WaitLine(t, second.Lines, eventWait, "event=status")
	r.stop(t, p)
	p.WaitLine(t, second.Lines, eventWait, "event=stop")
	second.HangUp()
	serial := append(first.Received(), second.Received()...) // what the far end of the port got

	recs := checkLog(t, p.Seen())
	received := map[string]bool{}
	for _, line := range serial {
		received[line] = true
	}
	var stdout []string
	for _, line := range p.Seen() {
		if _, err := serlog.Parse(line); err == nil {
			stdout = append(stdout, line)
		}
	}
	missing, lost := 0, 0
	for _, line := range stdout {
		if !received[line] {
			missing++
		}
	}
	for _, s := range events(recs, "status") {
		n, _ := strconv.Atoi(s["serial_lost"])
		lost += n
	}
	if missing != lost || lost == 0 {
		t.Errorf("%d records on stdout reached neither terminal, the status records counted %d lost", missing, lost)
	}
	if len(received) != len(serial) {
		t.Errorf("a record reached the port twice")
	}
	t.Logf("%d records on stdout, %d over the serial port, %d lost while it was away (%v hung up), counted %d; "+
		"back %v after the link led to a terminal again", len(stdout), len(serial), missing,
		relinked.Sub(hungUp).Round(100*time.Millisecond), lost, back.Sub(relinked).Round(100*time.Millisecond))
}
