package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/firmware/serlog"
)

// smokeCheck is one line of the smoke test's report.
type smokeCheck struct {
	name string
	err  error
	info string
}

func runSmoke(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("smoke", "[--config FILE] [--frames N] [--blink D] [--sim]", `
Check a board before leaving it unattended: with the daemon's configuration,
load and run the model once, read frames from the camera (size, frame rate,
time to the model's input), blink every configured pin once, write one
record to the serial port, and read the SoC temperature. Each check prints
ok or FAIL with the reason; the exit status is non-zero if any failed. Stop
the service first (sudo systemctl stop neonet): it holds the camera, the
pins and the serial port.

Example (on the Pi):
  sudo systemctl stop neonet && neonet smoke && sudo systemctl start neonet`, stdout)
	config := fs.String("config", firmware.DefaultConfigPath, "configuration file (TOML)")
	frames := fs.Int("frames", 30, "camera frames to read")
	blink := fs.Duration("blink", 500*time.Millisecond, "how long each pin stays active (watch the LEDs)")
	sim := fs.Bool("sim", false, "simulated pins (to try the command away from a board)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	if *frames < 1 || *blink <= 0 {
		return usageErrorf("--frames must be at least 1 and --blink positive")
	}
	f := runFlags{config: *config, sim: *sim}
	var checks []smokeCheck
	report := func(c smokeCheck) {
		checks = append(checks, c)
		status := "ok  "
		if c.err != nil {
			status, c.info = "FAIL", c.err.Error()
		}
		fmt.Fprintf(stdout, "%s %-12s %s\n", status, c.name, c.info)
	}

	cfg, model, err := f.load()
	if err != nil {
		report(smokeCheck{name: "model", err: err})
		return fmt.Errorf("the configuration or model failed; nothing else was checked")
	}
	t0 := time.Now()
	scores, err := model.Classify()
	report(smokeCheck{name: "model", err: err, info: fmt.Sprintf("%s: %d classes, %s kernels, %d thread(s), first inference %v",
		cfg.Model, len(scores), model.prog.Kernels(), model.prog.Threads(), time.Since(t0).Round(time.Millisecond))})

	report(smokeCamera(cfg.Camera, model, *frames))
	report(smokePins(cfg, *blink, stdout))
	report(smokeSerial(cfg))
	temp, err := firmware.SoCTemperature("/")
	report(smokeCheck{name: "temperature", err: err, info: fmt.Sprintf("%.1f °C", temp)})

	failed := 0
	for _, c := range checks {
		if c.err != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(checks))
	return nil
}

// smokeCamera reads frames through the daemon's capture path and reports
// their size, rate and preprocessing time.
func smokeCamera(spec string, model *modelClassifier, frames int) smokeCheck {
	c := smokeCheck{name: "camera"}
	src, err := camera.Open(spec, camera.Options{FPS: 30})
	if err != nil {
		c.err = err
		return c
	}
	capture := newFrameCapture(src, model.prog)
	defer capture.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second+time.Duration(frames)*200*time.Millisecond)
	defer cancel()
	var lat []time.Duration
	t0 := time.Now()
	for range frames {
		if _, err := capture.Next(ctx, model.Input()); err != nil {
			c.err = fmt.Errorf("%s after %d frames: %w", spec, len(lat), err)
			return c
		}
		lat = append(lat, time.Since(capture.frame.Time))
	}
	elapsed := time.Since(t0)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	c.info = fmt.Sprintf("%s: %d frames of %dx%d at %.1f fps, capture to model input %v median, %d dropped",
		spec, frames, capture.frame.Width, capture.frame.Height, float64(frames)/elapsed.Seconds(),
		lat[len(lat)/2].Round(100*time.Microsecond), capture.Dropped())
	return c
}

// smokePins opens every configured pin and blinks each once, in order.
func smokePins(cfg *firmware.Config, blink time.Duration, stdout io.Writer) smokeCheck {
	c := smokeCheck{name: "pins"}
	specs := cfg.Pins()
	var names []string
	for _, p := range specs {
		names = append(names, p.Name)
	}
	if len(specs) == 0 {
		c.info = "no pins configured"
		return c
	}
	set, err := pins.Open(cfg.GPIO, specs, stdout)
	if err != nil {
		c.err = err
		return c
	}
	defer set.Safe()
	for _, p := range set.Pins {
		if err := p.Set(true); err != nil {
			c.err = fmt.Errorf("pin %s: %w", p.Name(), err)
			return c
		}
		time.Sleep(blink)
		if err := p.Set(false); err != nil {
			c.err = fmt.Errorf("pin %s: %w", p.Name(), err)
			return c
		}
	}
	c.info = fmt.Sprintf("%s backend: blinked %v (each should have lit once)", cfg.GPIO, names)
	return c
}

// smokeSerial writes one record to the configured serial port.
func smokeSerial(cfg *firmware.Config) smokeCheck {
	c := smokeCheck{name: "serial"}
	if cfg.Serial.Port == "" {
		c.info = "disabled in the configuration (records go to the journal only)"
		return c
	}
	s := cfg.Serial
	port, err := serlog.OpenSerial(s.Port, serlog.Framing{Baud: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits})
	if err != nil {
		c.err = err
		return c
	}
	defer port.Close()
	rec := serlog.New(time.Now(), "smoke").Str("check", "serial")
	if _, err := io.WriteString(port, rec.String()+"\n"); err != nil {
		c.err = fmt.Errorf("%s: %w", s.Port, err)
		return c
	}
	c.info = fmt.Sprintf("wrote a record to %s at %d baud (look for event=smoke on the other end)", s.Port, s.Baud)
	return c
}
