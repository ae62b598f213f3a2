package daemontest

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"
)

// Serial is the far end of a serial port: a pseudo-terminal whose
// terminal side the daemon opens by name, as it would /dev/serial0, and
// whose lines the test reads.
type Serial struct {
	Name  string        // the terminal side, /dev/pts/N
	Lines <-chan string // what the daemon wrote, line by line; closed on hang-up
	ptmx  *os.File
	once  sync.Once

	mu       sync.Mutex
	received []string
}

// SerialPort opens a pseudo-terminal for t. The test keeps its own
// descriptor of the terminal side open until HangUp or the test's end:
// with no open terminal side, reads of the controlling side fail.
func SerialPort(t testing.TB) *Serial {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	lines := make(chan string, 1<<14)
	s := &Serial{Name: tty.Name(), Lines: lines, ptmx: ptmx}
	go func() {
		sc := bufio.NewScanner(ptmx)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			s.mu.Lock()
			s.received = append(s.received, line)
			s.mu.Unlock()
			lines <- line
		}
		close(lines)
		tty.Close()
	}()
	t.Cleanup(s.HangUp)
	return s
}

// HangUp closes the controlling side, as an adapter pulled out: the
// daemon's writes fail from then on.
func (s *Serial) HangUp() { s.once.Do(func() { s.ptmx.Close() }) }

// Received is every line that reached the far end so far, read by the
// test or not.
func (s *Serial) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}
