package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"neonet.dev/neonet/camera"
)

func runCollect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("collect", "--camera SPEC --out DIR/LABEL [--frames N] [--every D]", stdout)
	spec := fs.String("camera", "", "the camera: a device (0, /dev/video0), gst:PIPELINE, a video file, an image folder\nor synthetic[:WxH] (docs/camera.md); required")
	out := fs.String("out", "", "the class folder to save frames in, DIR/LABEL (created if missing); required")
	frames := fs.Int("frames", 50, "how many frames to save")
	every := fs.Duration("every", 500*time.Millisecond, "the least time between two saved frames (0: every frame)")
	size := fs.String("camera-size", "", "capture size WxH to ask a device for (default: the device's)")
	fps := fs.Float64("camera-fps", 30, "frame rate to ask a device for; files and folders play at this rate (0: as fast as they decode)")
	quality := fs.Int("quality", 95, "JPEG quality, 1 to 100")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *spec == "":
		return usageErrorf("--camera SPEC is required")
	case *out == "":
		return usageErrorf("--out DIR/LABEL is required: the folder is the class, its name the label")
	case *frames < 1:
		return usageErrorf("--frames must be at least 1")
	case *every < 0 || !(*fps >= 0) || math.IsInf(*fps, 0):
		return usageErrorf("--every and --camera-fps must not be negative (nor --camera-fps infinite)")
	}
	opt := camera.Options{FPS: *fps}
	if *size != "" {
		var err error
		if opt.Width, opt.Height, err = camera.ParseSize(*size); err != nil {
			return usageErrorf("--camera-size: %v", err)
		}
	}
	src, err := camera.Parse(*spec, opt)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "collecting %d frames from %s into %s, one per %v at most (Ctrl-C stops)\n", *frames, src, *out, *every)
	saved, err := camera.Collect(ctx, src, *out, camera.CollectOptions{Frames: *frames, Every: *every, Quality: *quality,
		Saved: func(path string, n, total int) { fmt.Fprintf(stderr, "  %d/%d %s\n", n, total, path) }})
	if len(saved) > 0 {
		fmt.Fprintf(stdout, "saved %d photos of %q in %s: %s to %s\n", len(saved), filepath.Base(*out), *out,
			filepath.Base(saved[0]), filepath.Base(saved[len(saved)-1]))
	}
	if err == nil && len(saved) < *frames && ctx.Err() == nil {
		fmt.Fprintf(stderr, "neonet collect: %s ended after %d of %d frames\n", src, len(saved), *frames)
	}
	return err
}
