package main

import (
	"context"
	"fmt"
	"time"

	"neonet.dev/neonet/camera"
)

// withCamera makes r's runs classify camera frames: each timed run waits
// for the newest frame, preprocesses it straight into the int8 input and
// runs the model, and reports the time from the frame's capture to the
// logits (what a detection waits for on a board). The camera loops over
// files and folders so that the runs never run out of frames.
func (bf *benchFlags) withCamera(r *runner) error {
	if r.input == nil || r.program == nil {
		return fmt.Errorf("--camera needs an int8 model")
	}
	src, err := camera.Open(bf.camera, camera.Options{FPS: bf.cameraFPS, Loop: true})
	if err != nil {
		return err
	}
	capture := newFrameCapture(src, r.program)
	var failed error
	next := func() time.Time {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := capture.Next(ctx, r.input); err != nil && failed == nil {
			failed = err
		}
		return capture.frame.Time
	}
	infer := r.run
	r.run = func() { next(); infer() }
	r.timed = func() time.Duration {
		captured := next()
		infer()
		return time.Since(captured)
	}
	closeProgram := r.close
	r.close = func() {
		capture.Close()
		closeProgram()
	}
	r.err = func() error { return failed }
	return nil
}
