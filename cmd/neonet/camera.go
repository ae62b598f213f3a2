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
	"neonet.dev/neonet/pipeline"
)

// cameraFlags are classify's flags for classifying camera frames instead
// of image files.
type cameraFlags struct {
	spec   string
	frames int
	size   string
	fps    float64
	loop   bool
}

func (c *cameraFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.spec, "camera", "", "classify camera frames instead of images: synthetic[:WxH], a device (0, /dev/video0),\ngst:PIPELINE, a video file or an image folder (docs/camera.md)")
	fs.IntVar(&c.frames, "frames", 0, "with --camera: classify this many frames, then stop (0: until interrupted)")
	fs.StringVar(&c.size, "camera-size", "", "with --camera: capture size WxH to ask a device for (default: the device's)")
	fs.Float64Var(&c.fps, "camera-fps", 30, "with --camera: frame rate to ask a device for; files, folders and the synthetic\npattern are delivered at this rate, as a camera would (0: as fast as they decode)")
	fs.BoolVar(&c.loop, "loop", false, "with --camera: start a video file or image folder again at its end")
}

// classifyCamera is neonet classify --camera.
func (c *cameraFlags) classifyCamera(images []string, mf *modelFlags, top int, asJSON bool, stdout, stderr io.Writer) error {
	switch {
	case c.spec == "":
		return usageErrorf("--frames, --camera-size, --camera-fps and --loop need --camera")
	case len(images) > 0:
		return usageErrorf("--camera classifies camera frames: drop the IMAGE arguments (%s)", images[0])
	case c.frames < 0 || !(c.fps >= 0) || math.IsInf(c.fps, 0):
		return usageErrorf("--frames and --camera-fps must not be negative (nor --camera-fps infinite)")
	case top < 1:
		return usageErrorf("--top must be at least 1")
	}
	opt := camera.Options{FPS: c.fps, Loop: c.loop}
	if c.size != "" {
		var err error
		if opt.Width, opt.Height, err = camera.ParseSize(c.size); err != nil {
			return usageErrorf("--camera-size: %v", err)
		}
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stream := pipeline.Stream{Camera: cam}
	f := &stream.Frame
	preds := make([]classify.Prediction, 0, top)
	n, err := stream.Classify(ctx, model, c.frames, func(r pipeline.Result) error {
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
