package smoke

import (
	"context"
	"errors"
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
	// SysRoot is the root of /sys for the temperature and the throttling
	// state; "" is "/".
	SysRoot string
}

// Run loads the daemon's configuration and model as neonet run does
// (firmware.Load) and checks model, camera, budget (the daemon's loop at
// max_fps: CPU time and memory), pins, serial port, temperature and
// throttling in that order, calling report with each check as it
// completes; it returns them all. When the configuration or the model
// fails to load, that is the only check, and its error is returned too.
func Run(daemon firmware.Options, opt Options, report func(Check)) ([]Check, error) {
	if opt.SysRoot == "" {
		opt.SysRoot = "/"
	}
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
	add(checkCamera(cfg, model, opt.Frames))
	add(checkBudget(cfg, model, opt.Frames))
	add(checkPins(cfg, opt.Blink, opt.Stdout))
	add(checkSerial(cfg))
	temp, err := firmware.SoCTemperature(opt.SysRoot)
	add(Check{Name: "temperature", Err: err, Info: fmt.Sprintf("%.1f °C", temp)})
	add(checkThrottling(firmware.NewFirmwareThrottle(opt.SysRoot)))
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

// openCamera opens the configuration's camera as the daemon does.
func openCamera(cfg *firmware.Config) (*pipeline.Camera, error) {
	return pipeline.OpenCamera(cfg.Camera, pipeline.CameraOptions{Options: cfg.CameraOptions(), StaleAfter: 2 * time.Second})
}

// checkCamera reads frames through the daemon's capture path and reports
// their size, rate and the time from capture to the model's input.
func checkCamera(cfg *firmware.Config, model *pipeline.Model, frames int) Check {
	c := Check{Name: "camera"}
	spec := cfg.Camera
	cam, err := openCamera(cfg)
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

// budgetTime bounds the budget check: frames at a low max_fps take long.
// A max_fps below one frame in 5 s gets three periods, for two frames.
const budgetTime = 15 * time.Second

// checkBudget runs the daemon's loop (firmware.Run, with no outputs) on
// the camera for frames classified frames, at most budgetTime (longer for
// a very low max_fps), and reports the frame rate, the process's CPU time
// as a share of one core, the inference time and the peak memory. It
// fails when the board cannot keep up with max_fps.
func checkBudget(cfg *firmware.Config, model *pipeline.Model, frames int) Check {
	c := Check{Name: "budget"}
	cam, err := openCamera(cfg)
	if err != nil {
		c.Err = err
		return c
	}
	defer cam.Close()
	ctx, cancel := context.WithTimeout(context.Background(), max(budgetTime, 3*cfg.FramePeriod()))
	defer cancel()
	count := &frameCounter{left: frames, done: cancel}
	before, err := firmware.ProcessUsage()
	if err != nil {
		c.Err = err
		return c
	}
	t0 := time.Now()
	runErr := firmware.Run(ctx, cfg, firmware.Deps{Camera: cam, Classifier: model, Outputs: []firmware.Output{count}})
	elapsed := time.Since(t0)
	after, err := firmware.ProcessUsage()
	switch {
	case runErr != nil:
		c.Err = runErr
		return c
	case err != nil:
		c.Err = err
		return c
	case count.frames < 2:
		c.Err = fmt.Errorf("%d frames classified in %v", count.frames, elapsed.Round(time.Millisecond))
		if count.fault != "" {
			c.Err = fmt.Errorf("%w; the last fault: %s", c.Err, count.fault)
		}
		return c
	}
	// The rate between the first frame and the last: the camera's start
	// is not the loop's.
	fps := float64(count.frames-1) / count.last.Sub(count.first).Seconds()
	budget := "no max_fps"
	if cfg.MaxFPS > 0 {
		budget = fmt.Sprintf("max_fps %g", cfg.MaxFPS)
	}
	slices.Sort(count.infer)
	c.Info = fmt.Sprintf("%d frames at %.1f fps (%s): %.1f%% of one core, inference %v median, peak memory %.0f MB",
		count.frames, fps, budget, 100*float64(after.CPU-before.CPU)/float64(elapsed), count.infer[len(count.infer)/2].Round(100*time.Microsecond),
		float64(after.MaxRSS)/(1<<20))
	if cfg.MaxFPS > 0 && fps < 0.9*cfg.MaxFPS {
		c.Err = fmt.Errorf("%s: the board classifies only %.1f frames a second (the camera's rate or the model's time): lower max_fps", c.Info, fps)
	}
	return c
}

// frameCounter counts classified frames and their inference times, ends
// the run after left of them, and keeps the last fault's error.
type frameCounter struct {
	firmware.NopOutput
	left, frames int
	first, last  time.Time
	infer        []time.Duration
	fault        string
	done         context.CancelFunc
}

func (f *frameCounter) Record(r *serlog.Record) {
	if fields, err := serlog.Parse(r.String()); err == nil && fields["event"] == "fault" {
		f.fault = fields["source"] + ": " + fields["error"]
	}
}

func (f *frameCounter) Frame(fr *firmware.Frame) {
	if f.frames == 0 {
		f.first = fr.Time
	}
	f.frames++
	f.last = fr.Time
	f.infer = append(f.infer, fr.Infer)
	if f.frames == f.left {
		f.done()
	}
}

// checkThrottling reads the board's throttling state: it fails while the
// board is throttled or short of power now, and says what happened since
// boot.
func checkThrottling(sensor firmware.ThrottleSensor) Check {
	c := Check{Name: "throttling"}
	t, err := sensor.Throttling()
	switch {
	case errors.Is(err, firmware.ErrNoThrottling):
		c.Info = "not reported by this board (no Raspberry Pi firmware file get_throttled)"
	case err != nil:
		c.Err = err
	case t.Now() != 0:
		c.Err = fmt.Errorf("%s now (%s): check the power supply and the cooling", t.Now(), t.Hex())
	default:
		c.Info = fmt.Sprintf("none now; since boot: %s (%s)", t.SinceBoot(), t.Hex())
	}
	return c
}
