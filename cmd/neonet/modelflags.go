package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
)

// modelFlags are the flags every command that runs a model shares.
type modelFlags struct {
	model, weights, labels string
	precision              string
	calibDir               string
	calibImages            int
	method                 string
	biasCorrection         bool
}

func (f *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "", "a model name (see 'neonet models'; shiftresnet20:E sets the expansion E)\nor a compiled int8 model file made by 'neonet quantize'")
	fs.StringVar(&f.weights, "weights", "", "weights for a named model: a torchvision .pth checkpoint, or the shiftresnet20 CSV folder;\nempty means seeded random weights (for timing only)")
	fs.StringVar(&f.labels, "labels", "", "class names, one per line in output order (default: the model's dataset labels)")
	fs.StringVar(&f.precision, "precision", "", "fp32 or int8 (default: fp32 for a named model, int8 for a model file);\nint8 for a named model quantizes it first and needs --calib")
	f.registerCalib(fs)
}

// registerCalib adds the calibration flags (also used by quantize).
func (f *modelFlags) registerCalib(fs *flag.FlagSet) {
	fs.StringVar(&f.calibDir, "calib", "", "folder of calibration images (searched recursively) for int8 quantization")
	f.calibImages = 100
	fs.Var(cli.AtLeastOne{N: &f.calibImages}, "calib-images", "calibrate on at most `N` images (1 or more), spread evenly over the folder")
	fs.StringVar(&f.method, "method", "", "how activation ranges are chosen: minmax, percentile, mse, kl or auto (per tensor);\ndefault: auto for the EfficientNets, mse for the others")
	fs.BoolVar(&f.biasCorrection, "bias-correction", false, "subtract from each layer's bias the mean error its rounded weights add (measured on the calibration images)")
}

// open loads what the flags name. It warns on stderr when predictions will
// mean nothing.
func (f *modelFlags) open(stderr io.Writer) (*classify.Model, error) {
	if f.model == "" {
		return nil, cli.Usagef("--model is required (a model file, or one of: %s)", strings.Join(models.Names(), ", "))
	}
	switch f.precision {
	case "", "fp32", "int8":
	default:
		return nil, cli.Usagef("--precision %q: want fp32 or int8", f.precision)
	}
	if file, err := checkModelFile(f.model, f.weights, f.precision == "fp32"); err != nil {
		return nil, err
	} else if file {
		m, err := classify.OpenFile(f.model, f.labels)
		if err == nil && f.calibDir != "" {
			err = cli.Usagef("%s is already quantized: --calib and the other calibration flags do not apply", f.model)
		}
		return m, err
	}
	if f.precision != "int8" && f.calibDir != "" {
		return nil, cli.Usagef("--calib quantizes the model: use it with --precision int8 (or eval --compare)")
	}
	m, err := f.loadFloat(stderr)
	if err != nil || f.precision != "int8" {
		return m, err
	}
	if f.calibDir == "" {
		return nil, cli.Usagef("--precision int8 for a named model needs --calib DIR (or quantize once with 'neonet quantize' and pass the model file)")
	}
	if m.Int8, err = f.quantize(m.Zoo, m.Float, m.Labels.Names, stderr); err != nil {
		return nil, err
	}
	m.Precision = "int8"
	return m, nil
}

// checkModelFile reports whether a --model value is a model file, and
// refuses one asked to run at fp32 only or given weights, and a path to no
// file or to something that is not a regular file (rather than calling it
// an unknown model name).
func checkModelFile(name, weights string, fp32Only bool) (file bool, err error) {
	file = classify.IsModelFile(name)
	switch {
	case file && fp32Only:
		return true, cli.Usagef("%s is an int8 model file: it runs at --precision int8 only", name)
	case file && weights != "":
		return true, cli.Usagef("%s is a compiled model file: it holds its weights, drop --weights", name)
	case !file && classify.LooksLikePath(name):
		return false, modelfile.CheckFile(name)
	}
	return file, nil
}

// loadFloat builds the named model, loads its weights and resolves labels.
func (f *modelFlags) loadFloat(stderr io.Writer) (*classify.Model, error) {
	zoo, err := models.Lookup(f.model)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	if f.weights == "" {
		fmt.Fprintf(stderr, "neonet: no --weights given: %s runs with seeded random weights, predictions are meaningless\n", zoo.Name)
	}
	m, datasetClasses, err := classify.LoadFloat(zoo, f.weights, f.labels)
	if err == nil && datasetClasses > 0 {
		fmt.Fprintf(stderr, "neonet: the checkpoint has %d classes, not %s's %d: pass --labels FILE to name them\n", len(m.Labels.Names), zoo.Labels, datasetClasses)
	}
	return m, err
}

// quantize calibrates g on the --calib images and converts it to int8.
func (f *modelFlags) quantize(zoo models.Model, g *graph.Graph, labels []string, stderr io.Writer) (*qnet.Model, error) {
	method, err := zoo.Ranges(f.method)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	return ptq.QuantizeImages(g, ptq.Meta{Name: zoo.Name, Labels: labels, Preprocess: zoo.Preprocess}, ptq.Calibration{Dir: f.calibDir,
		Limit: f.calibImages, Method: method, BiasCorrection: f.biasCorrection, Progress: progress.Printer(stderr, "images"), Log: stderr})
}
