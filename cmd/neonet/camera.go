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
	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
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

const cameraHelp = `
With --camera, frames come from a camera (or a video file, image folder or
the synthetic pattern read as one) and the newest frame is classified each
time the model is free; frames that arrive meanwhile are dropped, as a live
camera should be. An int8 model (a model file, or --precision int8 with
--calib) preprocesses each frame straight into its int8 input; a float model
goes through the float preprocessing. --json prints one line per frame:
  {"frame": 12, "top": [...], "ms": 9.8, "dropped": 3}
frame is the source's frame number, ms the time from capture to logits, and
dropped the frames skipped since the previous line.

  neonet classify --model squeezenet1_1.neonet --camera /dev/video0 --frames 100 --json
  neonet classify --model squeezenet1_1.neonet --camera ../shared/data/videos/Megamind.avi --loop`

func (c *cameraFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.spec, "camera", "", "classify camera frames instead of images: synthetic[:WxH], a device (0, /dev/video0),\ngst:PIPELINE, a video file or an image folder (docs/camera.md)")
	fs.IntVar(&c.frames, "frames", 0, "with --camera: classify this many frames, then stop (0: until interrupted)")
	fs.StringVar(&c.size, "camera-size", "", "with --camera: capture size WxH to ask a device for (default: the device's)")
	fs.Float64Var(&c.fps, "camera-fps", 30, "with --camera: frame rate to ask a device for; files, folders and the synthetic\npattern are delivered at this rate, as a camera would (0: as fast as they decode)")
	fs.BoolVar(&c.loop, "loop", false, "with --camera: start a video file or image folder again at its end")
}

// requested reports whether any camera flag was given; it must be called
// after parsing.
func (c *cameraFlags) requested(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "camera", "frames", "camera-size", "camera-fps", "loop":
			given = true
		}
	})
	return given
}

// frameModel computes the logits of one frame.
type frameModel interface {
	logits(f *camera.Frame) ([]float32, error)
}

// int8Frames preprocesses frames straight into the int8 program's input.
type int8Frames struct {
	prog *qnet.Program
	pre  *camera.Preprocessor // for the last frame size seen
}

func (m *int8Frames) logits(f *camera.Frame) ([]float32, error) {
	if m.pre == nil || !sameSize(m.pre, f) {
		// Once, or when an image folder changes size.
		model := m.prog.Model()
		pre, err := camera.NewPreprocessor(model.Preprocess, model.Tensors[model.Input].Params, f.Width, f.Height)
		if err != nil {
			return nil, err
		}
		m.pre = pre
	}
	if err := m.pre.Run(m.prog.Input().Data, f); err != nil {
		return nil, err
	}
	m.prog.Run()
	return m.prog.Logits(), nil
}

func sameSize(p *camera.Preprocessor, f *camera.Frame) bool {
	w, h := p.FrameSize()
	return w == f.Width && h == f.Height
}

// floatFrames converts frames to RGB and runs the float preprocessing.
type floatFrames struct {
	c   *classify.Classifier
	rgb *preprocess.RGB8
}

func (m *floatFrames) logits(f *camera.Frame) ([]float32, error) {
	rgb, err := f.RGB8(m.rgb)
	if err != nil {
		return nil, err
	}
	m.rgb = rgb
	if err := m.c.LoadImage(rgb); err != nil {
		return nil, err
	}
	return m.c.Logits(), nil
}

// classifyCamera is neonet classify --camera.
func (c *cameraFlags) classifyCamera(images []string, mf *modelFlags, top int, asJSON bool, stdout, stderr io.Writer) error {
	if c.spec == "" {
		return usageErrorf("--frames, --camera-size, --camera-fps and --loop need --camera")
	}
	if len(images) > 0 {
		return usageErrorf("--camera classifies camera frames: drop the IMAGE arguments (%s)", images[0])
	}
	if c.frames < 0 || !(c.fps >= 0) || math.IsInf(c.fps, 0) {
		return usageErrorf("--frames and --camera-fps must not be negative (nor --camera-fps infinite)")
	}
	if top < 1 {
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
	var model frameModel
	if o.quantized != nil {
		prog, err := qnet.Compile(o.quantized)
		if err != nil {
			return err
		}
		model = &int8Frames{prog: prog}
	} else {
		cl, err := o.newClassifier()
		if err != nil {
			return err
		}
		model = &floatFrames{c: cl}
	}
	src, err := camera.Open(c.spec, opt)
	if err != nil {
		return err
	}
	grabber := camera.NewGrabber(src, camera.GrabberOptions{
		OnError: func(err error, retryIn time.Duration) {
			fmt.Fprintf(stderr, "neonet classify: %v (trying again in %v)\n", err, retryIn)
		},
	})
	defer grabber.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	labels := o.labels.Names
	probs := []float32(nil)
	var f camera.Frame
	n := 0
	for ; c.frames == 0 || n < c.frames; n++ {
		if err := grabber.Latest(ctx, &f); err != nil {
			if ctx.Err() != nil && c.frames == 0 {
				break // interrupted: the normal end of an open-ended run
			}
			return err
		}
		logits, err := model.logits(&f)
		if err != nil {
			return fmt.Errorf("frame %d of %s: %w", f.Seq, src, err)
		}
		latency := time.Since(f.Time)
		if len(probs) != len(logits) {
			probs = make([]float32, len(logits))
		}
		fp32.Softmax(probs, logits, len(logits))
		preds := make([]classify.Prediction, 0, top)
		for _, i := range classify.TopIndices(probs, top) {
			label := fmt.Sprintf("class %d", i)
			if i < len(labels) {
				label = labels[i]
			}
			preds = append(preds, classify.Prediction{Index: i, Label: label, Score: probs[i]})
		}
		ms := math.Round(float64(latency.Microseconds())/10) / 100
		if asJSON {
			if err := json.NewEncoder(stdout).Encode(struct {
				Frame   uint64                `json:"frame"`
				Top     []classify.Prediction `json:"top"`
				MS      float64               `json:"ms"`
				Dropped uint64                `json:"dropped"`
			}{f.Seq, preds, ms, f.Skipped}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "frame %d (%dx%d, %.1f ms, %d dropped)\n", f.Seq, f.Width, f.Height, ms, f.Skipped)
		for _, p := range preds {
			fmt.Fprintf(stdout, "  %6.2f%%  %4d  %s\n", 100*p.Score, p.Index, p.Label)
		}
	}
	grabber.Close()
	s := grabber.Stats()
	fmt.Fprintf(stderr, "%s: classified %d frames (%s); captured %d, dropped %d, failures %d, reopens %d\n",
		src, n, o.precision, s.Captured, s.Dropped, s.Failures, s.Reopens)
	return nil
}
