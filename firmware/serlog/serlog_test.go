package serlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestRecordFormat(t *testing.T) {
	at := time.Date(2026, 11, 28, 22, 0, 0, 123456789, time.FixedZone("CET", 3600))
	got := New(at, "detect").Str("label", "tabby").Float("score", 0.8349, 2).Word("pin", "GPIO17").Int("state", 1).String()
	want := `t=2026-11-28T21:00:00.123Z event=detect label="tabby" score=0.83 pin=GPIO17 state=1`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A value that would break the key=value split is quoted.
	r := New(at, "fault").Word("error", `open /dev/video0: no such "device"`)
	fields, err := Parse(r.String())
	if err != nil {
		t.Fatal(err)
	}
	if fields["error"] != `open /dev/video0: no such "device"` || fields["event"] != "fault" {
		t.Errorf("round trip: %q", fields)
	}
	for _, bad := range []string{`t`, `a="x`, `=1`, `a=1 b`} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

// blockingWriter blocks every write until released, like a serial port
// with flow control held off.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestLogNeverBlocks(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	l := NewLogger(4, w)
	logged := make(chan struct{})
	go func() {
		for i := range 100 {
			l.Log(New(time.Unix(0, 0), "tick").Int("n", int64(i)))
		}
		close(logged)
	}()
	select {
	case <-logged:
	case <-time.After(10 * time.Second): // microseconds, unless Log waits for the writer
		close(w.release)
		t.Fatal("100 Log calls on a stuck writer have not returned in 10 s")
	}
	// The writer holds one record, the queue four: the rest overflowed.
	if n := l.TakeOverflow(); n < 95-1 || n > 96 {
		t.Errorf("overflow %d, want 95 or 96", n)
	}
	if n := l.TakeOverflow(); n != 0 {
		t.Errorf("overflow not reset: %d", n)
	}
	close(w.release)
	l.Close()
	lines := strings.Split(strings.TrimSpace(w.buf.String()), "\n")
	if len(lines) < 4 || !strings.HasSuffix(lines[0], "n=0") {
		t.Errorf("written after release: %q", lines)
	}
}

// TestSerialThroughPty opens the tty side of a pseudo-terminal as a serial
// port at 115200 8N1 and reads the records from the controlling side.
func TestSerialThroughPty(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer ptmx.Close()
	name := tty.Name()
	tty.Close() // the serial package opens it by name, as it would /dev/serial0
	port, err := OpenSerial(name, Framing{Baud: 115200, DataBits: 8, Parity: 'N', StopBits: 1})
	if err != nil {
		t.Fatal(err)
	}
	var journal bytes.Buffer
	l := NewLogger(16, port, &journal)
	at := time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)
	l.Log(New(at, "detect").Str("label", "tabby").Float("score", 0.83, 2).Word("pin", "GPIO17").Int("state", 1))
	l.Log(New(at, "status").Float("fps", 14.5, 1))
	l.Close()
	defer port.Close()

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(ptmx)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(lines)
	}()
	want := strings.Split(strings.TrimSpace(journal.String()), "\n")
	for i, w := range want {
		select {
		case got := <-lines:
			if got != w {
				t.Errorf("line %d from the port: %q, want %q", i, got, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("line %d never arrived on the pty", i)
		}
	}
	if _, err := OpenSerial(name, Framing{Baud: 115200, DataBits: 8, Parity: 'X', StopBits: 1}); err == nil {
		t.Error("parity X accepted")
	}
	if _, err := OpenSerial("/nonexistent/tty", Framing{Baud: 115200, DataBits: 8, Parity: 'N', StopBits: 1}); err == nil || !strings.Contains(err.Error(), "/nonexistent/tty") {
		t.Errorf("missing port: %v", err)
	}
}

// flakyPort is a serial port that fails where told: opens fail while
// openErr is set, writes fail after failAfter lines.
type flakyPort struct {
	opens     int
	openErr   error
	lines     []string
	failAfter int
	closed    bool
}

func (f *flakyPort) open() (io.WriteCloser, error) {
	if f.openErr != nil {
		return nil, f.openErr
	}
	f.opens++
	f.closed = false
	return f, nil
}

func (f *flakyPort) Write(p []byte) (int, error) {
	if f.failAfter >= 0 && len(f.lines) >= f.failAfter {
		return 0, errors.New("write /dev/ttyUSB0: input/output error")
	}
	f.lines = append(f.lines, string(p))
	return len(p), nil
}

func (f *flakyPort) Close() error { f.closed = true; return nil }

// TestPortReopens: a port absent at start, then working, then hung up,
// then back: every write either reaches it or is counted lost, failures
// and returns are reported once each, and reopening backs off.
func TestPortReopens(t *testing.T) {
	now := time.Unix(0, 0)
	dev := &flakyPort{openErr: errors.New("open /dev/ttyUSB0: no such file or directory"), failAfter: -1}
	var changes []string
	p := NewPort(dev.open, time.Second, 4*time.Second)
	p.now = func() time.Time { return now }
	p.OnChange = func(err error) { changes = append(changes, fmt.Sprint(err)) }
	write := func(n int, step time.Duration) {
		for range n {
			if k, err := p.Write([]byte("record\n")); k != 7 || err != nil {
				t.Fatalf("Write: %d, %v", k, err)
			}
			now = now.Add(step)
		}
	}
	write(3, 400*time.Millisecond) // absent: opens at 0 and 1.2 s fail
	if lost := p.TakeLost(); lost != 3 || dev.opens != 0 {
		t.Errorf("absent port: %d lost, %d opens; want 3 and 0", lost, dev.opens)
	}
	dev.openErr = nil
	write(3, time.Second) // the retry was due at 1 s: the next write opens it
	if lost := p.TakeLost(); lost != 0 || dev.opens != 1 || len(dev.lines) != 3 {
		t.Errorf("port plugged in: %d lost, %d opens, %d lines; want 0, 1, 3", lost, dev.opens, len(dev.lines))
	}
	dev.failAfter = 5 // hangs up after two more lines
	write(4, 100*time.Millisecond)
	if lost := p.TakeLost(); lost != 2 || !dev.closed {
		t.Errorf("hung-up port: %d lost, closed %v; want 2 lost and the port closed", lost, dev.closed)
	}
	dev.failAfter = -1
	write(12, 100*time.Millisecond) // the retry is due 1 s after the failure
	if lost := p.TakeLost(); lost != 8 || dev.opens != 2 || len(dev.lines) != 9 {
		t.Errorf("after the hang-up: %d lost, %d opens, %d lines; want 8 lost before the retry, a second open, 9 lines", lost, dev.opens, len(dev.lines))
	}
	want := []string{"open /dev/ttyUSB0: no such file or directory", "<nil>", "write /dev/ttyUSB0: input/output error", "<nil>"}
	if !slices.Equal(changes, want) {
		t.Errorf("changes %q, want %q", changes, want)
	}
}
