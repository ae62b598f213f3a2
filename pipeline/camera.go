package pipeline

import (
	"context"
	"errors"
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
	// StaleAfter is how long Next waits for a frame before it returns the
	// camera's last failure instead, if it has one, so that a daemon can
	// report the fault while the camera is reopened; 0 waits for as long
	// as the context allows.
	StaleAfter time.Duration
	// OnError, if set, is called on the capture goroutine with every
	// failure of the camera and the wait before it is opened again.
	OnError func(err error, retryIn time.Duration)
}

// Camera captures on its own goroutine (camera.Grabber) and hands out the
// newest frame; a camera that fails is closed and reopened with backoff.
type Camera struct {
	grabber    *camera.Grabber
	staleAfter time.Duration
	failed     atomic.Pointer[error] // the last failure, nil once frames flow again
}

// OpenCamera opens the camera spec names (camera.Open) and starts
// capturing.
func OpenCamera(spec string, opt CameraOptions) (*Camera, error) {
	src, err := camera.Open(spec, opt.Options)
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
	})
	return c, nil
}

// Next implements Frames. With StaleAfter set, a camera that delivers
// nothing for that long while it has failed returns its last failure.
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
