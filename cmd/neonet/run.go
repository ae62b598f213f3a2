package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/mqtt"
	"neonet.dev/neonet/firmware/web"
)

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "[--config FILE] [--sim] [--model FILE] [--camera SPEC] [--frames N] [--for D]", stdout)
	o := firmware.Options{Stdout: stdout, Stderr: stderr, Openers: []firmware.OutputOpener{web.Open, mqtt.Open}}
	fs.StringVar(&o.Config, "config", firmware.DefaultConfigPath, "configuration file (TOML)")
	fs.StringVar(&o.Model, "model", "", "int8 model file (neonet quantize), instead of the configuration's")
	fs.StringVar(&o.Camera, "camera", "", "camera SPEC (docs/camera.md), instead of the configuration's")
	fs.BoolVar(&o.SimPins, "sim", false, `simulated pins that print their transitions (as gpio = "sim")`)
	fs.BoolVar(&o.CameraOptions.Loop, "loop", false, "start a video file or image folder camera again at its end")
	fs.Float64Var(&o.CameraOptions.FPS, "camera-fps", 30, "frame rate to ask the camera for; files and folders play at this rate")
	fs.IntVar(&o.Frames, "frames", 0, "stop after this many classified frames (0: run until stopped)")
	duration := fs.Duration("for", 0, "stop after this long (0: run until stopped)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch fps := o.CameraOptions.FPS; {
	case o.Frames < 0 || *duration < 0:
		return usageErrorf("--frames and --for must not be negative")
	case !(fps >= 0) || math.IsInf(fps, 0):
		return usageErrorf("--camera-fps must be a frame rate, got %v", fps)
	}
	// Signals first: a SIGHUP while the model loads is a reload queued for
	// later, a SIGTERM ends the start-up.
	ctx, reload, stop := firmware.Signals(context.Background())
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	d, err := firmware.OpenContext(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: pins safe, stop record written
		}
		return err
	}
	defer d.Close() // pins safe and the log flushed, however Run ends
	fmt.Fprintf(stderr, "neonet run: %s\n", d)
	return d.Run(ctx, reload)
}
