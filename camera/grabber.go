package camera

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// GrabberOptions configure a Grabber. The zero value retries forever with
// backoff from 100 ms to 5 s on the system clock.
type GrabberOptions struct {
	Clock Clock
	// MinBackoff is the wait before the first reopen after a failure; each
	// further consecutive failure doubles it, up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxFailures stops the grabber after that many consecutive failures
	// (Latest then returns the last one); 0 retries forever, as firmware
	// waiting for a camera to be plugged back in should.
	MaxFailures int
	// OnError, if set, is called on the capture goroutine with every
	// failure and the wait before the next attempt.
	OnError func(err error, retryIn time.Duration)
	// OnBadFrame, if set, is called on the capture goroutine with every
	// frame the source could not read (ErrBadFrame) and skipped.
	OnBadFrame func(err error)
}

// Stats count what a Grabber did.
type Stats struct {
	Captured  uint64 // frames read from the source
	Delivered uint64 // frames handed out by Latest
	Dropped   uint64 // frames replaced by a newer one before Latest took them
	Failures  uint64 // failed opens and reads (including ends of stream)
	Reopens   uint64 // successful opens after a failure
	BadFrames uint64 // frames the source could not read and skipped (ErrBadFrame)
	// LastError is the most recent failure, naming the source and the
	// cause, and LastErrorTime when it happened; nil if none.
	LastError     error
	LastErrorTime time.Time
	// LastBadFrame is the most recent ErrBadFrame, nil if none.
	LastBadFrame error
	// InCall is the call into the source in progress, "open" or "read",
	// and CallStart when it began; "" between calls. A call that lasts
	// far longer than a frame interval is a stalled driver.
	InCall    string
	CallStart time.Time
}

// ErrGrabberClosed is returned by Latest after Close.
var ErrGrabberClosed = errors.New("camera: grabber closed")

// Grabber reads a source on its own goroutine and keeps only the newest
// frame. It owns two frames (the one being captured and the newest
// complete one) and Latest swaps the newest with the caller's, so after
// the first few frames nothing is allocated or copied.
type Grabber struct {
	src    Source
	opt    GrabberOptions
	cancel context.CancelFunc
	done   chan struct{} // closed when the capture goroutine has returned
	wake   chan struct{} // a frame was published, or the grabber stopped
	once   sync.Once

	consumer sync.Mutex // serialises Latest callers

	mu        sync.Mutex // guards what follows
	ready     *Frame     // newest complete frame, valid when readyGen > lastGen
	readyGen  uint64     // generation (capture count) of ready
	lastGen   uint64     // generation of the frame Latest last returned
	skipped   uint64     // frames dropped since Latest last returned one
	stats     Stats
	stopCause error // why capture stopped by itself
	closed    bool
}

// NewGrabber starts capturing from src, opening it if needed. The Grabber
// owns src from now on and closes it in Close.
func NewGrabber(src Source, opt GrabberOptions) *Grabber {
	if opt.Clock == nil {
		opt.Clock = SystemClock{}
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = max(5*time.Second, opt.MinBackoff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Grabber{
		src: src, opt: opt, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1),
		ready: &Frame{},
	}
	go g.capture(ctx)
	return g
}

// String names the source.
func (g *Grabber) String() string { return g.src.String() }

// capture is the capture goroutine: open, read, publish, and on failure
// close, report, wait and try again. A frame the source could not read is
// skipped; the end of a file or folder that does not loop ends capture.
func (g *Grabber) capture(ctx context.Context) {
	defer close(g.done)
	defer g.src.Close()
	back := &Frame{}
	backoff := g.opt.MinBackoff
	consecutive := 0
	failed := false
	for ctx.Err() == nil {
		err := g.call("open", g.src.Open)
		if err == nil {
			if failed {
				g.mu.Lock()
				g.stats.Reopens++
				g.mu.Unlock()
				failed = false
			}
			err = g.call("read", func() error { return g.src.Read(back) })
			if errors.Is(err, ErrBadFrame) {
				g.badFrame(err)
				continue
			}
			if err != nil {
				g.src.Close()
			}
		}
		if err == nil {
			consecutive, backoff = 0, g.opt.MinBackoff
			back = g.publish(back)
			continue
		}
		failed = true
		consecutive++
		if g.fail(err, consecutive) {
			g.signal()
			return
		}
		if g.opt.OnError != nil {
			g.opt.OnError(err, backoff)
		}
		if g.opt.Clock.Sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, g.opt.MaxBackoff)
	}
}

// call runs one call into the source, noting it in the stats while it
// runs.
func (g *Grabber) call(name string, f func() error) error {
	g.mu.Lock()
	g.stats.InCall, g.stats.CallStart = name, g.opt.Clock.Now()
	g.mu.Unlock()
	err := f()
	g.mu.Lock()
	g.stats.InCall = ""
	g.mu.Unlock()
	return err
}

// badFrame counts and reports a frame the source skipped.
func (g *Grabber) badFrame(err error) {
	g.mu.Lock()
	g.stats.BadFrames++
	g.stats.LastBadFrame = err
	g.mu.Unlock()
	if g.opt.OnBadFrame != nil {
		g.opt.OnBadFrame(err)
	}
}

// fail counts a failure and reports whether capture stops for good: at
// the end of a stream, or after MaxFailures consecutive failures.
func (g *Grabber) fail(err error, consecutive int) (stop bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats.Failures++
	g.stats.LastError, g.stats.LastErrorTime = err, g.opt.Clock.Now()
	switch {
	case errors.Is(err, ErrEndOfStream):
		g.stopCause = err
	case g.opt.MaxFailures > 0 && consecutive >= g.opt.MaxFailures:
		g.stopCause = fmt.Errorf("camera %s: gave up after %d consecutive failures: %w", g.src, consecutive, err)
	}
	return g.stopCause != nil
}

// publish makes f the newest frame and returns the buffer to capture into
// next: the previous newest frame, dropped if nobody took it.
func (g *Grabber) publish(f *Frame) *Frame {
	g.mu.Lock()
	if g.readyGen > g.lastGen {
		g.stats.Dropped++
		g.skipped++
	}
	g.stats.Captured++
	g.ready, f = f, g.ready
	g.readyGen = g.stats.Captured
	g.mu.Unlock()
	g.signal()
	return f
}

func (g *Grabber) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Latest waits until a frame newer than the one it last returned has been
// captured, and swaps it into dst: dst receives the frame and the Grabber
// keeps dst's old buffer for a later capture, so dst.Pix changes identity
// from call to call. Concurrent calls are serialised. It returns ctx's
// error if ctx ends first, ErrGrabberClosed after Close, the source's
// ErrEndOfStream once a file or folder that does not loop has ended (after
// its last frame was taken), and the last failure if the grabber gave up
// (GrabberOptions.MaxFailures).
func (g *Grabber) Latest(ctx context.Context, dst *Frame) error {
	g.consumer.Lock()
	defer g.consumer.Unlock()
	for {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			return fmt.Errorf("%w (%s)", ErrGrabberClosed, g.src)
		}
		if g.readyGen > g.lastGen {
			*dst, *g.ready = *g.ready, *dst
			dst.Skipped, g.skipped = g.skipped, 0
			g.lastGen = g.readyGen
			g.stats.Delivered++
			g.mu.Unlock()
			return nil
		}
		stop := g.stopCause
		g.mu.Unlock()
		if stop != nil {
			return stop
		}
		select {
		case <-g.wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-g.done:
			g.mu.Lock()
			stop = g.stopCause
			g.mu.Unlock()
			if stop != nil {
				return stop
			}
			return fmt.Errorf("%w (%s)", ErrGrabberClosed, g.src)
		}
	}
}

// Stats returns a snapshot of the counters.
func (g *Grabber) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

// Close stops capture, waits for the capture goroutine to finish its
// current read (a stalled device may hold it until its driver times out)
// and closes the source.
func (g *Grabber) Close() error {
	g.once.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		g.cancel()
	})
	<-g.done
	return nil
}
