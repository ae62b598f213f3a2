package ptq

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
)

// CalibrationImages lists the images (.jpg, .jpeg, .png, .bmp) under dir,
// recursively, and picks at most limit of them (all of them when limit
// is 0 or less) spread evenly over the sorted list, so that a folder
// sorted by class contributes every class.
// The choice depends only on the file names: the same folder always gives
// the same calibration.
func CalibrationImages(dir string, limit int) ([]string, error) {
	var all []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && preprocess.IsImageFile(path) {
			all = append(all, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("calibration images: %w", err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("calibration images: no .jpg, .jpeg, .png or .bmp files under %s", dir)
	}
	slices.Sort(all)
	if limit <= 0 || limit >= len(all) {
		return all, nil
	}
	picked := make([]string, limit)
	for i := range picked {
		picked[i] = all[i*len(all)/limit]
	}
	return picked, nil
}

// calibrationMemory bounds the activations that calibration workers hold
// side by side: each worker keeps every activation of one image (214 MB
// for EfficientNet-B3 at 300x300, 17 MB for SqueezeNet 1.1).
const calibrationMemory = 512 << 20

// Calibrate observes g's activations on the given image files,
// preprocessed with spec. progress, if not nil, is called after each image.
// The images are decoded and run through the float model by up to workers
// goroutines (0: as many as the cores; fewer when the images or
// calibrationMemory allow fewer) and recorded in their order, so the
// ranges do not depend on the machine. An image that cannot be read fails
// the calibration with its path.
func Calibrate(g *graph.Graph, spec preprocess.Spec, paths []string, workers int, progress func(done, total int)) (*Calibrator, error) {
	c, err := NewCalibrator(g)
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	fit := max(1, int(calibrationMemory/max(1, c.activationBytes()))) // copies of the activations that fit
	workers = classify.Workers(min(workers, fit), len(paths))
	progs := []*engine.Program{c.prog}
	for len(progs) < workers {
		progs = append(progs, c.prog.Clone())
	}
	inputs := make([][]float32, workers)
	for i := range inputs {
		inputs[i] = make([]float32, spec.Len())
	}
	var (
		mu       sync.Mutex
		turn     = sync.NewCond(&mu)
		next     int         // the image to record next
		firstErr error       // the error of the first image that failed
		failed   atomic.Bool // set with firstErr: the images left are not run
	)
	classify.Parallel(len(paths), workers, func(w, i int) {
		var err error
		if !failed.Load() {
			err = runImage(progs[w], spec, paths[i], inputs[w])
		}
		mu.Lock()
		defer mu.Unlock()
		for next != i {
			turn.Wait()
		}
		switch {
		case firstErr != nil:
		case err != nil:
			firstErr = err
			failed.Store(true)
		default:
			c.record(progs[w])
			if progress != nil {
				progress(i+1, len(paths))
			}
		}
		next++
		turn.Broadcast()
	}, nil)
	if firstErr != nil {
		return nil, firstErr
	}
	return c, nil
}

// runImage runs p on the image at path, preprocessed with spec into input.
func runImage(p *engine.Program, spec preprocess.Spec, path string, input []float32) error {
	img, err := preprocess.Decode(path)
	if err != nil {
		return err
	}
	if err := spec.Tensor(img, input); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	_, err = p.RunInput(input)
	return err
}

// Calibration says how a float model becomes int8: the images its
// activation ranges are measured on, and how the ranges are chosen.
type Calibration struct {
	Dir string // the folder the images come from, named in the model's note
	// Paths are the images; nil means at most Limit images of Dir
	// (CalibrationImages).
	Paths          []string
	Limit          int
	Method         calib.Method
	BiasCorrection bool
	// Workers is how many images are run through the float model at once
	// (0: as many as the cores); the result does not depend on it.
	Workers int
	// Progress, if set, is called after each image.
	Progress func(done, total int)
	// Log, if set, gets one line naming the model and the images.
	Log io.Writer
}

// QuantizeImages calibrates g on c's images, preprocessed with
// meta.Preprocess, and converts it to int8; meta.Calibration is set to a
// note on how (method, images, bias correction).
func QuantizeImages(g *graph.Graph, meta Meta, c Calibration) (*qnet.Model, error) {
	if c.Paths == nil {
		var err error
		if c.Paths, err = CalibrationImages(c.Dir, c.Limit); err != nil {
			return nil, err
		}
	}
	if c.Log != nil {
		fmt.Fprintf(c.Log, "calibrating %s on %d images from %s\n", meta.Name, len(c.Paths), c.Dir)
	}
	cal, err := Calibrate(g, meta.Preprocess, c.Paths, c.Workers, c.Progress)
	if err != nil {
		return nil, err
	}
	cal.BiasCorrection = c.BiasCorrection
	meta.Calibration = fmt.Sprintf("%s ranges from %d images of %s", c.Method, len(c.Paths), c.Dir)
	if c.BiasCorrection {
		meta.Calibration += ", bias correction"
	}
	return cal.Quantize(meta, c.Method)
}
