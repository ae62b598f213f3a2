package camera

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// samePattern reports whether f holds frame seq of the synthetic pattern.
func samePattern(f *Frame, seq uint64) bool {
	var want Frame
	want.setSize(f.Width, f.Height)
	SyntheticPattern(&want, seq)
	return bytes.Equal(f.Pix[:len(want.Pix)], want.Pix)
}

// grabberScript is a Grabber over a scripted source and a fake clock, with
// the failures it reported and the backoffs it announced.
type grabberScript struct {
	g     *Grabber
	src   *scriptedSource
	clock *fakeClock
	ctx   context.Context

	mu       sync.Mutex
	reported []error
	waits    []time.Duration
}

func newGrabberScript() *grabberScript {
	h := &grabberScript{clock: newFakeClock(), src: newScriptedSource(), ctx: context.Background()}
	h.g = NewGrabber(h.src, GrabberOptions{
		Clock: h.clock, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
		OnError: func(err error, retryIn time.Duration) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.reported, h.waits = append(h.reported, err), append(h.waits, retryIn)
		},
	})
	return h
}

// TestGrabberLatestDropsAndReopens runs one grabber through frames nobody
// reads, a failure and its reopen, backoff and Close, in that order.
func TestGrabberLatestDropsAndReopens(t *testing.T) {
	h := newGrabberScript()
	var f Frame
	h.checkLatestDropsOlderFrames(t, &f)
	h.checkLatestWaitsForANewFrame(t, &f)
	h.checkFailureReopens(t, &f)
	h.checkBackoff(t, &f)
	h.checkClose(t, &f)
}

// checkLatestDropsOlderFrames: five frames while nobody reads; the newest
// is handed over, four were dropped.
func (h *grabberScript) checkLatestDropsOlderFrames(t *testing.T, f *Frame) {
	for range 5 {
		h.src.steps <- nil
	}
	waitFor(t, "5 captures", func() bool { return h.g.Stats().Captured == 5 })
	if err := h.g.Latest(h.ctx, f); err != nil {
		t.Fatal(err)
	}
	if f.Seq != 5 || f.Skipped != 4 || !samePattern(f, 5) {
		t.Errorf("first Latest: frame %d skipped %d (pattern matches: %v), want frame 5 after 4 skipped", f.Seq, f.Skipped, samePattern(f, 5))
	}
	if s := h.g.Stats(); s.Captured != 5 || s.Dropped != 4 || s.Delivered != 1 {
		t.Errorf("stats %+v, want 5 captured, 4 dropped, 1 delivered", s)
	}
}

// checkLatestWaitsForANewFrame: Latest never hands out the same frame
// twice.
func (h *grabberScript) checkLatestWaitsForANewFrame(t *testing.T, f *Frame) {
	short, cancel := context.WithTimeout(h.ctx, 20*time.Millisecond)
	err := h.g.Latest(short, f)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Latest without a new frame: %v, want the context's deadline", err)
	}
	h.src.steps <- nil
	if err := h.g.Latest(h.ctx, f); err != nil || f.Seq != 6 || f.Skipped != 0 || !samePattern(f, 6) {
		t.Errorf("Latest: frame %d skipped %d, %v; want frame 6", f.Seq, f.Skipped, err)
	}
}

// checkFailureReopens: a failure is reported, the source closed and
// reopened after the backoff, and capture goes on.
func (h *grabberScript) checkFailureReopens(t *testing.T, f *Frame) {
	h.src.steps <- errUnplugged
	waitFor(t, "the reopen", func() bool { return h.g.Stats().Reopens == 1 })
	s := h.g.Stats()
	if s.Failures != 1 || !errors.Is(s.LastError, errUnplugged) || !strings.Contains(s.LastError.Error(), "scripted") {
		t.Errorf("after a failed read: %+v", s)
	}
	if opens, closes := h.src.counts(); opens != 2 || closes != 1 {
		t.Errorf("source opened %d times and closed %d, want 2 and 1", opens, closes)
	}
	h.src.steps <- nil
	if err := h.g.Latest(h.ctx, f); err != nil || f.Seq != 7 {
		t.Errorf("after the reopen: frame %d, %v; want frame 7", f.Seq, err)
	}
}

// checkBackoff: backoff doubles with consecutive failures and starts over
// after a frame.
func (h *grabberScript) checkBackoff(t *testing.T, f *Frame) {
	for _, step := range []error{errUnplugged, errUnplugged, nil, errUnplugged, nil} {
		h.src.steps <- step
	}
	if err := h.g.Latest(h.ctx, f); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "9 captures", func() bool { return h.g.Stats().Captured == 9 })
	want := scaled([]time.Duration{100, 100, 200, 100}, time.Millisecond)
	h.mu.Lock()
	if !slices.Equal(h.waits, want) || len(h.reported) != 4 {
		t.Errorf("reported %d failures with waits %v, want waits %v", len(h.reported), h.waits, want)
	}
	h.mu.Unlock()
	if got := h.clock.slept(); !slices.Equal(got, want) {
		t.Errorf("slept %v", got)
	}
}

// checkClose: Close stops capture, closes the source and is idempotent.
func (h *grabberScript) checkClose(t *testing.T, f *Frame) {
	close(h.src.steps)
	if err := h.g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.g.Latest(h.ctx, f); !errors.Is(err, ErrGrabberClosed) {
		t.Errorf("Latest after Close: %v, want ErrGrabberClosed", err)
	}
	if opens, closes := h.src.counts(); opens != closes {
		t.Errorf("after Close the source was opened %d times and closed %d", opens, closes)
	}
	if err := h.g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func scaled(d []time.Duration, unit time.Duration) []time.Duration {
	out := make([]time.Duration, len(d))
	for i, v := range d {
		out[i] = v * unit
	}
	return out
}

func TestGrabberBackoffIsBoundedAndGivesUp(t *testing.T) {
	clock := newFakeClock()
	cause := errors.New("device or resource busy")
	g := NewGrabber(failingSource{cause}, GrabberOptions{
		Clock: clock, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxFailures: 7,
	})
	defer g.Close()
	var f Frame
	err := g.Latest(context.Background(), &f)
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "/dev/video7") || !strings.Contains(err.Error(), "7 consecutive failures") {
		t.Errorf("Latest on a source that never opens: %v", err)
	}
	want := scaled([]time.Duration{100, 200, 400, 800, 1000, 1000}, time.Millisecond)
	if got := clock.slept(); !slices.Equal(got, want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
	if s := g.Stats(); s.Failures != 7 || s.Reopens != 0 || s.Captured != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestGrabberCloseInterruptsBackoff(t *testing.T) {
	// On the real clock with an hour of backoff, Close must not wait.
	g := NewGrabber(failingSource{errUnplugged}, GrabberOptions{MinBackoff: time.Hour})
	waitFor(t, "the first failure", func() bool { return g.Stats().Failures == 1 })
	done := make(chan struct{})
	go func() { g.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the backoff")
	}
}

func TestGrabberSyntheticSteadyStateAllocatesNothing(t *testing.T) {
	g := NewGrabber(NewSynthetic(64, 48, Options{}), GrabberOptions{})
	defer g.Close()
	ctx := context.Background()
	var f Frame
	for range 5 { // every buffer has reached its size
		if err := g.Latest(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}
	seqs := make([]uint64, 0, 100)
	// Counts allocations by both goroutines: capture and hand-over.
	if n := testing.AllocsPerRun(50, func() {
		if err := g.Latest(ctx, &f); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, f.Seq)
	}); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("frame numbers not strictly increasing: %v", seqs)
		}
	}
	if !samePattern(&f, f.Seq) {
		t.Errorf("frame %d does not hold its own pattern", f.Seq)
	}
	if s := g.Stats(); s.Captured != s.Dropped+s.Delivered && s.Captured != s.Dropped+s.Delivered+1 {
		t.Errorf("stats do not add up: %+v", s)
	}
}

func TestSyntheticSource(t *testing.T) {
	clock := newFakeClock()
	src, err := Open("synthetic:64x48", Options{FPS: 25, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if src.String() != "synthetic:64x48" {
		t.Errorf("String() = %q", src.String())
	}
	var frames [3]Frame
	for i := range frames {
		if err := src.Read(&frames[i]); err != nil {
			t.Fatal(err)
		}
		f := &frames[i]
		if f.Width != 64 || f.Height != 48 || f.Stride != 192 || f.Seq != uint64(i+1) {
			t.Errorf("frame %d: %dx%d stride %d seq %d", i, f.Width, f.Height, f.Stride, f.Seq)
		}
	}
	if bytes.Equal(frames[0].Pix, frames[1].Pix) || bytes.Equal(frames[1].Pix, frames[2].Pix) {
		t.Error("consecutive synthetic frames are identical")
	}
	// Paced at 25 fps: the second and third frames each waited 40 ms.
	if got, want := clock.slept(), scaled([]time.Duration{40, 40}, time.Millisecond); !slices.Equal(got, want) {
		t.Errorf("pacing slept %v, want %v", got, want)
	}
	if d := frames[2].Time.Sub(frames[0].Time); d != 80*time.Millisecond {
		t.Errorf("frames 1 and 3 are %v apart, want 80ms", d)
	}
	src.Close()
	if err := src.Read(&frames[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	// Options size the pattern when the spec does not.
	if src, err := Open("synthetic", Options{Width: 320, Height: 200}); err != nil || src.String() != "synthetic:320x200" {
		t.Errorf("synthetic with options: %v, %v", src, err)
	}
}

// stuckSource never returns from Open until released, as a driver call
// that hangs.
type stuckSource struct{ release chan struct{} }

func (s stuckSource) String() string      { return "/dev/video9" }
func (s stuckSource) Open() error         { <-s.release; return errUnplugged }
func (s stuckSource) Read(f *Frame) error { return ErrClosed }
func (s stuckSource) Close() error        { return nil }

// TestGrabberStatsShowACallInProgress: a call into the source that does
// not return shows in the stats, with when it began.
func TestGrabberStatsShowACallInProgress(t *testing.T) {
	clock := newFakeClock()
	src := stuckSource{make(chan struct{})}
	g := NewGrabber(src, GrabberOptions{Clock: clock})
	waitFor(t, "the open", func() bool { return g.Stats().InCall == "open" })
	if s := g.Stats(); !s.CallStart.Equal(clock.Now()) {
		t.Errorf("call started %v, want %v", s.CallStart, clock.Now())
	}
	close(src.release)
	waitFor(t, "the failure", func() bool { return g.Stats().Failures > 0 })
	g.Close()
	if s := g.Stats(); s.InCall != "" {
		t.Errorf("after the call: %+v", s)
	}
}
