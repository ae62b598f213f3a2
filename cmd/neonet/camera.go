package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/pipeline"
)

// cameraFlags are the flags of the commands that read a camera.
type cameraFlags struct {
	spec, size string
	fps        float64
	loop       bool
}

// register adds --camera (described by usage), --camera-size,
// --camera-fps and, with loop, --loop.
func (c *cameraFlags) register(fs *flag.FlagSet, usage string, loop bool) {
	fs.StringVar(&c.spec, "camera", "", usage)
	fs.StringVar(&c.size, "camera-size", "", "capture size WxH to ask a device for (default: the device's)")
	fs.Float64Var(&c.fps, "camera-fps", 30, "frame rate to ask a device for; files, folders and the synthetic pattern are\ndelivered at this rate, as a camera would (0: as fast as they decode)")
	if loop {
		fs.BoolVar(&c.loop, "loop", false, "start a video file or image folder again at its end")
	}
}

// options checks the flags and returns the camera options they ask for.
func (c *cameraFlags) options() (camera.Options, error) {
	opt := camera.Options{FPS: c.fps, Loop: c.loop}
	if !(c.fps >= 0) || math.IsInf(c.fps, 0) {
		return opt, cli.Usagef("--camera-fps %v: want a frame rate (must not be negative nor infinite; 0: as fast as frames decode)", c.fps)
	}
	var err error
	if c.size != "" {
		if opt.Width, opt.Height, err = camera.ParseSize(c.size); err != nil {
			err = cli.Usagef("--camera-size: %v", err)
		}
	}
	return opt, err
}

// interrupted is a context that ends on Ctrl-C or SIGTERM.
func interrupted() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// classifyCamera is neonet classify --camera.
func (c *cameraFlags) classifyCamera(images []string, frames int, mf *modelFlags, top int, asJSON bool, stdout, stderr io.Writer) error {
	switch {
	case c.spec == "":
		return cli.Usagef("--frames, --camera-size, --camera-fps and --loop need --camera")
	case len(images) > 0:
		return cli.Usagef("--camera classifies camera frames: drop the IMAGE arguments (%s)", images[0])
	case frames < 0:
		return cli.Usagef("--frames %d: must not be negative", frames)
	case top < 1:
		return cli.Usagef("--top must be at least 1")
	}
	opt, err := c.options()
	if err != nil {
		return err
	}
	o, err := mf.open(stderr)
	if err != nil {
		return err
	}
	model, err := pipeline.NewClassifier(o)
	if err != nil {
		return err
	}
	cam, err := pipeline.OpenCamera(c.spec, pipeline.CameraOptions{Options: opt,
		OnError: func(err error, retryIn time.Duration) {
			fmt.Fprintf(stderr, "neonet classify: %v (trying again in %v)\n", err, retryIn)
		},
		OnBadFrame: func(err error) { fmt.Fprintf(stderr, "neonet classify: %v\n", err) },
	})
	if err != nil {
		return err
	}
	defer cam.Close()

	ctx, stop := interrupted()
	defer stop()
	stream := pipeline.Stream{Camera: cam}
	f := &stream.Frame
	preds := make([]classify.Prediction, 0, top)
	n, err := stream.Classify(ctx, model, frames, func(r pipeline.Result) error {
		ms := math.Round(float64(time.Since(f.Time).Microseconds())/10) / 100
		preds = classify.TopK(preds, r.Scores, top)
		if asJSON {
			return json.NewEncoder(stdout).Encode(struct {
				Frame   uint64                `json:"frame"`
				Top     []classify.Prediction `json:"top"`
				MS      float64               `json:"ms"`
				Dropped uint64                `json:"dropped"`
			}{f.Seq, preds, ms, f.Skipped})
		}
		fmt.Fprintf(stdout, "frame %d (%dx%d, %.1f ms, %d dropped)\n", f.Seq, f.Width, f.Height, ms, f.Skipped)
		printTop(stdout, preds)
		return nil
	})
	if err != nil {
		return err
	}
	cam.Close()
	s := cam.Stats()
	fmt.Fprintf(stderr, "%s: classified %d frames (%s); captured %d, dropped %d, unreadable %d, failures %d, reopens %d\n",
		cam, n, o.Precision, s.Captured, s.Dropped, s.BadFrames, s.Failures, s.Reopens)
	return nil
}
