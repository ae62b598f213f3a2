package serlog

import (
	"bufio"
	"bytes"
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
