package smoke

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/pipeline"
)

// Check is the outcome of one check: Info says what was found, Err why it
// failed.
type Check struct {
	Name string
	Info string
	Err  error
}

// Options tune the checks.
type Options struct {
	Frames int           // camera frames to read
	Blink  time.Duration // how long each pin stays active
	// Stdout gets the transitions of simulated pins.
	Stdout io.Writer
}

// Run loads the daemon's configuration and model as neonet run does
// (firmware.Load) and checks model, camera, pins, serial port and
// temperature in that order, calling report with each check as it
// completes; it returns them all. When the configuration or the model
// fails to load, that is the only check, and its error is returned too.
func Run(daemon firmware.Options, opt Options, report func(Check)) ([]Check, error) {
	var checks []Check
	add := func(c Check) {
		checks = append(checks, c)
		report(c)
	}
	cfg, model, err := firmware.Load(daemon)
	if err != nil {
		add(Check{Name: "model", Err: err})
		return checks, err
	}
	add(checkModel(cfg, model))
	add(checkCamera(cfg.Camera, model, opt.Frames))
	add(checkPins(cfg, opt.Blink, opt.Stdout))
	add(checkSerial(cfg))
	temp, err := firmware.SoCTemperature("/")
	add(Check{Name: "temperature", Err: err, Info: fmt.Sprintf("%.1f °C", temp)})
	return checks, nil
}

// checkModel runs the model once.
func checkModel(cfg *firmware.Config, model *pipeline.Model) Check {
	t0 := time.Now()
	scores, err := model.Classify()
	p := model.Program()
	return Check{Name: "model", Err: err, Info: fmt.Sprintf("%s: %d classes, %s kernels, %d thread(s), first inference %v",
		cfg.Model, len(scores), p.Kernels(), p.Threads(), time.Since(t0).Round(time.Millisecond))}
}

// checkCamera reads frames through the daemon's capture path and reports
// their size, rate and the time from capture to the model's input.
func checkCamera(spec string, model *pipeline.Model, frames int) Check {
	c := Check{Name: "camera"}
	cam, err := pipeline.OpenCamera(spec, pipeline.CameraOptions{Options: camera.Options{FPS: 30}, StaleAfter: 2 * time.Second})
	if err != nil {
		c.Err = err
		return c
	}
	defer cam.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second+time.Duration(frames)*200*time.Millisecond)
	defer cancel()
	var f camera.Frame
	var lat []time.Duration
	t0 := time.Now()
	for range frames {
		err := cam.Next(ctx, &f)
		if err == nil {
			if err = model.Prepare(&f); err != nil {
				err = fmt.Errorf("camera %s: %w", cam, err)
			}
		}
		if err != nil {
			c.Err = fmt.Errorf("%s after %d frames: %w", spec, len(lat), err)
			return c
		}
		lat = append(lat, time.Since(f.Time))
	}
	elapsed := time.Since(t0)
	slices.Sort(lat)
	c.Info = fmt.Sprintf("%s: %d frames of %dx%d at %.1f fps, capture to model input %v median, %d dropped",
		spec, frames, f.Width, f.Height, float64(frames)/elapsed.Seconds(), lat[len(lat)/2].Round(100*time.Microsecond), cam.Dropped())
	return c
}

// checkPins opens every configured pin and blinks each once, in order.
func checkPins(cfg *firmware.Config, blink time.Duration, stdout io.Writer) Check {
	c := Check{Name: "pins"}
	if len(cfg.Pins()) == 0 {
		c.Info = "no pins configured"
		return c
	}
	set, err := firmware.OpenPins(cfg, stdout)
	if err != nil {
		c.Err = err
		return c
	}
	defer set.Safe()
	var names []string
	for _, p := range set.Pins {
		names = append(names, p.Name())
		if err := p.Set(true); err != nil {
			c.Err = fmt.Errorf("pin %s: %w", p.Name(), err)
			return c
		}
		time.Sleep(blink)
		if err := p.Set(false); err != nil {
			c.Err = fmt.Errorf("pin %s: %w", p.Name(), err)
			return c
		}
	}
	c.Info = fmt.Sprintf("%s backend: blinked %v (each should have lit once)", cfg.GPIO, names)
	return c
}

// checkSerial writes one record to the configured serial port.
func checkSerial(cfg *firmware.Config) Check {
	c := Check{Name: "serial"}
	if cfg.Serial.Port == "" {
		c.Info = "disabled in the configuration (records go to the journal only)"
		return c
	}
	s := cfg.Serial
	port, err := firmware.OpenSerial(s)
	if err != nil {
		c.Err = err
		return c
	}
	defer port.Close()
	rec := serlog.New(time.Now(), "smoke").Str("check", "serial")
	if _, err := io.WriteString(port, rec.String()+"\n"); err != nil {
		c.Err = fmt.Errorf("%s: %w", s.Port, err)
		return c
	}
	c.Info = fmt.Sprintf("wrote a record to %s at %d baud (look for event=smoke on the other end)", s.Port, s.Baud)
	return c
}
