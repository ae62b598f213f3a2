package camera

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock runs time only when someone sleeps: Sleep returns at once and
// moves the clock forward, so backoff and pacing cost nothing and every
// wait is recorded.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// scriptedSource delivers synthetic frames, or fails, one step at a time
// as the test sends steps: nil delivers the next frame, an error fails the
// read with it. Closing steps ends every later read with ErrEndOfStream.
type scriptedSource struct {
	steps chan error
	w, h  int

	mu            sync.Mutex
	open          bool
	opens, closes int
	seq           uint64
}

func newScriptedSource() *scriptedSource {
	return &scriptedSource{steps: make(chan error), w: 32, h: 24}
}

func (s *scriptedSource) String() string { return "scripted" }

func (s *scriptedSource) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		s.open = true
		s.opens++
	}
	return nil
}

func (s *scriptedSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.open = false
		s.closes++
	}
	return nil
}

func (s *scriptedSource) Read(f *Frame) error {
	err, ok := <-s.steps
	if !ok {
		return fmt.Errorf("camera scripted: %w", ErrEndOfStream)
	}
	if err != nil {
		return fmt.Errorf("camera scripted: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return fmt.Errorf("camera scripted: %w", ErrClosed)
	}
	f.setSize(s.w, s.h)
	s.seq++
	SyntheticPattern(f, s.seq)
	f.Seq = s.seq
	return nil
}

func (s *scriptedSource) counts() (opens, closes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens, s.closes
}

// failingSource never opens.
type failingSource struct{ err error }

func (s failingSource) String() string      { return "/dev/video7" }
func (s failingSource) Open() error         { return fmt.Errorf("camera /dev/video7: %w", s.err) }
func (s failingSource) Read(f *Frame) error { return ErrClosed }
func (s failingSource) Close() error        { return nil }

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var errUnplugged = errors.New("device removed (unplugged)")
