package main

import (
	"context"
	"fmt"
	"io"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/mqtt"
	"neonet.dev/neonet/firmware/web"
	"neonet.dev/neonet/internal/cli"
)

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "[--config FILE] [--sim] [--model FILE] [--camera SPEC] [--camera-fps F] [--camera-size WxH] [--frames N] [--for D]", stdout)
	o := firmware.Options{Stdout: stdout, Stderr: stderr, Openers: []firmware.OutputOpener{web.Open, mqtt.Open}}
	fs.StringVar(&o.Config, "config", firmware.DefaultConfigPath, "configuration file (TOML)")
	fs.StringVar(&o.Model, "model", "", "int8 model file (neonet quantize), instead of the configuration's")
	fs.BoolVar(&o.SimPins, "sim", false, `simulated pins that print their transitions (as gpio = "sim")`)
	var cam cameraFlags
	cam.register(fs, "camera SPEC (docs/camera.md), instead of the configuration's", true)
	fs.Lookup("camera-fps").Usage = "frame rate to ask the camera for, instead of the configuration's camera_fps;\nfiles and folders play at this rate (0: as fast as they decode)"
	fs.Lookup("camera-size").Usage = "capture size WxH to ask a device for, instead of the configuration's camera_size"
	fs.IntVar(&o.Frames, "frames", 0, "stop after this many classified frames (0: run until stopped)")
	duration := fs.Duration("for", 0, "stop after this long (0: run until stopped)")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if o.Frames < 0 || *duration < 0 {
		return cli.Usagef("--frames and --for must not be negative")
	}
	opt, err := cam.options()
	if err != nil {
		return err
	}
	o.Camera, o.Loop, o.CameraWidth, o.CameraHeight = cam.spec, opt.Loop, opt.Width, opt.Height
	if cli.Given(fs, "camera-fps") {
		o.CameraFPS = &opt.FPS
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
