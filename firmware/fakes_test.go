package firmware

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/daemontest"
	"neonet.dev/neonet/internal/testenv"
)

// fakeClock is a manual clock: time moves only when Advance is called,
// and timers due by then fire.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeTimer{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
		} else {
			w.ch <- c.now
		}
	}
	c.waiters = kept
}

// waitArmed waits until a timer due d from now is set: the loop has
// handled the previous one and re-armed it.
func (c *fakeClock) waitArmed(t *testing.T, d time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		at := c.now.Add(d)
		for _, w := range c.waiters {
			if w.at.Equal(at) {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
	}
	t.Fatalf("no timer armed %v ahead", d)
}

// frame is one scripted frame: the scores the model gives it, or a camera
// or model failure.
type frame struct {
	scores    []Score
	cameraErr error
	modelErr  error
}

const (
	framePeriod = 100 * time.Millisecond // the camera's frame interval
	inferTime   = 20 * time.Millisecond  // the fake model's inference time
)

// fakeCamera hands out frames the test feeds, one per Next; Next announces
// on asks that it wants one, so the test knows the loop has handled the
// previous frame.
type fakeCamera struct {
	clock   *fakeClock
	asks    chan struct{}
	frames  chan frame
	asked   bool // the test has seen an ask not yet answered
	current frame
	seq     uint64
	mu      sync.Mutex
	stats   camera.Stats
	taken   []time.Time // when the loop asked for each frame
}

func newFakeCamera(clock *fakeClock) *fakeCamera {
	return &fakeCamera{clock: clock, asks: make(chan struct{}), frames: make(chan frame)}
}

func (c *fakeCamera) Next(ctx context.Context, dst *camera.Frame) error {
	c.mu.Lock()
	c.taken = append(c.taken, c.clock.Now())
	c.mu.Unlock()
	select {
	case c.asks <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case f := <-c.frames:
		c.clock.Advance(framePeriod)
		if f.cameraErr != nil {
			return f.cameraErr
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.current = f
		c.seq++
		dst.Seq = c.seq
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *fakeCamera) Stats() camera.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Dropped += 7
	return s
}
func (c *fakeCamera) String() string { return "fake camera" }

// feed gives the loop frames, one at a time, waiting until the loop asks.
func (c *fakeCamera) feed(frames ...frame) {
	for _, f := range frames {
		c.settle()
		c.asked = false
		c.frames <- f
	}
}

// settle waits until the loop has handled every frame fed so far.
func (c *fakeCamera) settle() {
	if !c.asked {
		<-c.asks
		c.asked = true
	}
}

// fakeModel classifies the camera's current frame with its scripted
// scores.
type fakeModel struct {
	camera *fakeCamera
	labels []string
	input  []int8
}

func (m *fakeModel) Input() []int8    { return m.input }
func (m *fakeModel) Labels() []string { return m.labels }
func (m *fakeModel) Prepare(f *camera.Frame) error {
	m.input[0] = int8(f.Seq)
	return nil
}
func (m *fakeModel) Classify() ([]Score, error) {
	m.camera.clock.Advance(inferTime)
	m.camera.mu.Lock()
	defer m.camera.mu.Unlock()
	if m.camera.current.modelErr != nil {
		return nil, m.camera.current.modelErr
	}
	return m.camera.current.scores, nil
}

// takenAt is when the loop asked for each frame so far, from the first.
func (c *fakeCamera) takenAt() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at []time.Duration
	for _, t := range c.taken {
		at = append(at, t.Sub(c.taken[0]))
	}
	return at
}

// fakeThrottle is a board's throttling state that the test sets.
type fakeThrottle struct{ state atomic.Uint32 }

func (f *fakeThrottle) Throttling() (Throttling, error) { return Throttling(f.state.Load()), nil }

// syncBuffer is a bytes.Buffer safe for the logger's goroutine and the
// test.
type syncBuffer = testenv.Buffer

// records parses the log lines, keeping those of the given events (all
// when none given).
func records(t *testing.T, log string, events ...string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		r, err := serlog.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 || containsString(events, r["event"]) {
			out = append(out, r)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// waitFor polls the log until n lines contain want.
func waitFor(t *testing.T, log *syncBuffer, want string, n int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(time.Millisecond) {
		if strings.Count(log.String(), want) >= n {
			return
		}
	}
	t.Fatalf("no %q in the log:\n%s", want, log.String())
}

// newNotifySocket is a fake systemd for the daemon in this process: a
// socket at $NOTIFY_SOCKET, read continuously as systemd does (a full
// socket would block the daemon).
func newNotifySocket(t *testing.T) *daemontest.NotifySocket {
	s := daemontest.NewNotifySocket(t)
	for _, kv := range s.Env(0) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return s
}

// notifications waits for a notification starting with prefix and
// returns every one so far, in the order they were sent.
func notifications(t *testing.T, s *daemontest.NotifySocket, prefix string) []string {
	t.Helper()
	s.WaitFor(t, prefix, 5*time.Second)
	var texts []string
	for _, m := range s.Messages() {
		texts = append(texts, m.Text)
	}
	return texts
}

// recordingNotifier keeps notifications in order with the fake clock's
// time, synchronously, so a test knows exactly what was sent when.
type recordingNotifier struct {
	clock *fakeClock
	mu    sync.Mutex
	sent  []string
	at    []time.Time
}

func (r *recordingNotifier) Notify(state string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, state)
	r.at = append(r.at, r.clock.Now())
	return nil
}

func (r *recordingNotifier) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return count(r.sent, prefix)
}

func count(msgs []string, prefix string) int {
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}
