package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"neonet.dev/neonet/camera"
)

// Frames delivers camera frames: Camera, or a test's fake.
type Frames interface {
	// Next waits for a frame newer than the last one and swaps it into f
	// (f's pixel buffer changes identity from call to call).
	Next(ctx context.Context, f *camera.Frame) error
}

// CameraOptions configure OpenCamera.
type CameraOptions struct {
	camera.Options
	// StaleAfter is how long Next waits for a frame before it reports the
	// camera's trouble instead: its last failure if it has one, else a
	// StalledError; 0 waits for as long as the context allows. It must be
	// longer than the camera's frame interval.
	StaleAfter time.Duration
	// StartAbsent opens the camera on the capture goroutine, like a
	// camera that failed, rather than in OpenCamera: a camera missing at
	// start is then a failure Next reports, not an error of OpenCamera
	// (a daemon starts without its camera and waits for it).
	StartAbsent bool
	// OnError, if set, is called on the capture goroutine with every
	// failure of the camera and the wait before it is opened again.
	OnError func(err error, retryIn time.Duration)
	// OnBadFrame, if set, is called on the capture goroutine with every
	// frame the camera skipped because it could not be read.
	OnBadFrame func(err error)
}

// StalledError is a camera that delivers nothing and reports no failure
// because a call into it (opening it, or reading a frame) has not
// returned: a driver or a device that hangs.
type StalledError struct {
	Camera string
	Call   string        // "open" or "read"
	For    time.Duration // how long the call has been waiting
}

func (e *StalledError) Error() string {
	return fmt.Sprintf("camera %s: %s has not returned for %v (the driver or the device hangs)", e.Camera, e.Call, e.For.Round(100*time.Millisecond))
}

// Camera captures on its own goroutine (camera.Grabber) and hands out the
// newest frame; a camera that fails is closed and reopened with backoff.
type Camera struct {
	grabber    *camera.Grabber
	staleAfter time.Duration
	failed     atomic.Pointer[error] // the last failure, nil once frames flow again
}

// OpenCamera opens the camera spec names (camera.Open; camera.Parse only,
// with StartAbsent) and starts capturing.
func OpenCamera(spec string, opt CameraOptions) (*Camera, error) {
	src, err := camera.Parse(spec, opt.Options)
	if err == nil && !opt.StartAbsent {
		err = src.Open()
	}
	if err != nil {
		return nil, err
	}
	c := &Camera{staleAfter: opt.StaleAfter}
	c.grabber = camera.NewGrabber(src, camera.GrabberOptions{
		OnError: func(err error, retryIn time.Duration) {
			c.failed.Store(&err)
			if opt.OnError != nil {
				opt.OnError(err, retryIn)
			}
		},
		OnBadFrame: opt.OnBadFrame,
	})
	return c, nil
}

// Next implements Frames. With StaleAfter set, a camera that delivers
// nothing for that long returns its last failure, or a StalledError when
// a call into it hangs. The end of a file or folder that does not loop is
// camera.ErrEndOfStream.
func (c *Camera) Next(ctx context.Context, f *camera.Frame) error {
	if c.staleAfter <= 0 {
		return c.grabber.Latest(ctx, f)
	}
	for {
		wait, cancel := context.WithTimeout(ctx, c.staleAfter)
		err := c.grabber.Latest(wait, f)
		cancel()
		if err == nil {
			c.failed.Store(nil)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if last := c.failed.Load(); last != nil {
			return *last
		}
		if s := c.grabber.Stats(); s.InCall != "" {
			if hung := time.Since(s.CallStart); hung >= c.staleAfter {
				return &StalledError{Camera: c.String(), Call: s.InCall, For: hung}
			}
		}
	}
}

// Dropped counts the frames the camera produced that nobody took.
func (c *Camera) Dropped() uint64 { return c.grabber.Stats().Dropped }

// Stats are the capture counters.
func (c *Camera) Stats() camera.Stats { return c.grabber.Stats() }

// String names the camera.
func (c *Camera) String() string { return c.grabber.String() }

// Close stops capture and closes the camera.
func (c *Camera) Close() error { return c.grabber.Close() }
