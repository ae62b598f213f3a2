package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/mqtt"
	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/firmware/smoke"
	"neonet.dev/neonet/firmware/web"
	"neonet.dev/neonet/internal/cli"
)

// The commands that run on the board: run, smoke and gpio.

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

func runSmoke(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("smoke", "[--config FILE] [--frames N] [--blink D] [--sim]", stdout)
	config := fs.String("config", firmware.DefaultConfigPath, "configuration file (TOML)")
	frames := fs.Int("frames", 30, "camera frames to read")
	blink := fs.Duration("blink", 500*time.Millisecond, "how long each pin stays active (watch the LEDs)")
	sim := fs.Bool("sim", false, "simulated pins (to try the command away from a board)")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if *frames < 1 || *blink <= 0 {
		return cli.Usagef("--frames must be at least 1 and --blink positive")
	}
	checks, err := smoke.Run(firmware.Options{Config: *config, SimPins: *sim}, smoke.Options{Frames: *frames, Blink: *blink, Stdout: stdout},
		func(c smoke.Check) {
			status, info := "ok  ", c.Info
			if c.Err != nil {
				status, info = "FAIL", c.Err.Error()
			}
			fmt.Fprintf(stdout, "%s %-12s %s\n", status, c.Name, info)
		})
	if err != nil {
		return fmt.Errorf("the configuration or model failed; nothing else was checked")
	}
	failed := 0
	for _, c := range checks {
		if c.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(checks))
	return nil
}

func runGPIO(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "test":
			return runGPIOTest(args[1:], stdout)
		case "safe":
			return runGPIOSafe(args[1:], stdout)
		case "-h", "--help", "-help":
			return runGPIOTest([]string{"--help"}, stdout)
		}
	}
	return cli.Usagef("want 'neonet gpio %s' or 'neonet gpio %s'", gpioTestSynopsis, gpioSafeSynopsis)
}

const (
	gpioTestSynopsis = "test PIN [--sim] [--count N] [--period D] [--active-low]"
	gpioSafeSynopsis = "safe [--config FILE] [--sim]"
)

// runGPIOSafe is neonet gpio safe: every pin of the configuration
// inactive, as systemd's ExecStopPost= runs it.
func runGPIOSafe(args []string, stdout io.Writer) error {
	fs := newFlags("gpio", gpioSafeSynopsis, stdout)
	o := firmware.Options{Stdout: stdout}
	fs.StringVar(&o.Config, "config", firmware.DefaultConfigPath, "configuration file (TOML) whose pins to drive inactive")
	fs.BoolVar(&o.SimPins, "sim", false, `simulated pins (as gpio = "sim")`)
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	specs, err := firmware.SafePins(o)
	if err != nil {
		return err
	}
	for _, p := range specs {
		level := "low"
		if p.ActiveLow {
			level = "high"
		}
		fmt.Fprintf(stdout, "%s inactive (%s)\n", p.Name, level)
	}
	return nil
}

func runGPIOTest(args []string, stdout io.Writer) error {
	fs := newFlags("gpio", gpioTestSynopsis, stdout)
	sim := fs.Bool("sim", false, "use a simulated pin that prints its transitions (no hardware)")
	count := fs.Int("count", 10, "number of blinks")
	period := fs.Duration("period", time.Second, "length of one blink (on, then off)")
	activeLow := fs.Bool("active-low", false, "the pin is active when low (e.g. relay boards)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return cli.Usagef("want exactly one PIN, got %d arguments", len(pos))
	case *count < 1:
		return cli.Usagef("--count %d: want at least 1 blink", *count)
	case *period < 2*time.Millisecond || *period > time.Hour:
		return cli.Usagef("--period %v: want 2ms to 1h", *period)
	}
	backend := "periph"
	if *sim {
		backend = "sim"
	}
	set, err := pins.Open(backend, []pins.Spec{{Name: pos[0], ActiveLow: *activeLow}}, stdout)
	if err != nil {
		return err
	}
	pin := set.Pins[0]
	ctx, stop := interrupted()
	defer stop()
	err = pin.Blink(ctx, *count, *period, func(active bool) {
		if !*sim { // simulated pins print their own transitions
			fmt.Fprintln(stdout, pins.Transition(pin.Name(), active != *activeLow))
		}
	})
	return errors.Join(err, set.Safe())
}
