//go:build cgo

package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/pipeline"
)

// A camera whose open never returns (here a video "file" that is a named
// pipe nobody writes: the decoder waits in open) is reported as stalled,
// with the call and how long it has waited, instead of leaving Next
// silent.
func TestCameraReportsAStalledCall(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "camera.mp4")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cam, err := pipeline.OpenCamera(fifo, pipeline.CameraOptions{StaleAfter: 300 * time.Millisecond, StartAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Release the open: a writer that comes and goes gives the reader
		// an empty stream, until the capture goroutine has stopped.
		closed := make(chan struct{})
		go func() {
			cam.Close()
			close(closed)
		}()
		for {
			select {
			case <-closed:
				return
			case <-time.After(20 * time.Millisecond):
				if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
			}
		}
	}()
	var f camera.Frame
	err = cam.Next(t.Context(), &f)
	var stalled *pipeline.StalledError
	if !errors.As(err, &stalled) || stalled.Call != "open" || stalled.For < 300*time.Millisecond || stalled.Camera != fifo {
		t.Fatalf("Next on a camera whose open hangs: %v, want a StalledError of open", err)
	}
	t.Log(err)
}
