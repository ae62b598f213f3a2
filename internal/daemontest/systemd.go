package daemontest

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Notification is one sd_notify message and when it arrived.
type Notification struct {
	At   time.Time
	Text string // "READY=1", "WATCHDOG=1", "STATUS=...", possibly several lines
}

// NotifySocket is a fake systemd: a datagram socket the daemon notifies,
// read continuously as systemd does.
type NotifySocket struct {
	path string
	mu   sync.Mutex
	msgs []Notification
}

// NewNotifySocket listens on a socket in a temporary folder of t until
// the test ends.
func NewNotifySocket(t testing.TB) *NotifySocket {
	t.Helper()
	s := &NotifySocket{path: filepath.Join(t.TempDir(), "notify.sock")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, Notification{At: time.Now(), Text: string(buf[:n])})
			s.mu.Unlock()
		}
	}()
	return s
}

// Env is the environment that points a daemon at the socket, with a
// watchdog of period watchdog (none if 0), as systemd sets it.
func (s *NotifySocket) Env(watchdog time.Duration) []string {
	env := []string{"NOTIFY_SOCKET=" + s.path, "WATCHDOG_PID="}
	if watchdog > 0 {
		env = append(env, fmt.Sprintf("WATCHDOG_USEC=%d", watchdog.Microseconds()))
	} else {
		env = append(env, "WATCHDOG_USEC=")
	}
	return env
}

// Messages are the notifications so far, in order.
func (s *NotifySocket) Messages() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// WaitFor waits until a message starting with prefix has arrived, failing
// after timeout, and returns it.
func (s *NotifySocket) WaitFor(t testing.TB, prefix string, timeout time.Duration) Notification {
	t.Helper()
	for start := time.Now(); time.Since(start) < timeout; time.Sleep(5 * time.Millisecond) {
		for _, m := range s.Messages() {
			if strings.HasPrefix(m.Text, prefix) {
				return m
			}
		}
	}
	t.Fatalf("no %q notification within %v; got %q", prefix, timeout, s.Messages())
	return Notification{}
}

// WatchdogGaps returns the pings (WATCHDOG=1) from from to to, and the
// longest time without one in that span, its ends included.
func (s *NotifySocket) WatchdogGaps(from, to time.Time) (pings int, longest time.Duration) {
	last := from
	for _, m := range s.Messages() {
		if m.Text != "WATCHDOG=1" || m.At.Before(from) || m.At.After(to) {
			continue
		}
		pings++
		longest = max(longest, m.At.Sub(last))
		last = m.At
	}
	return pings, max(longest, to.Sub(last))
}
