package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
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
	fs.IntVar(&f.calibImages, "calib-images", 100, "calibrate on at most this many images, spread evenly over the folder")
	fs.StringVar(&f.method, "method", "mse", "how activation ranges are chosen: minmax, percentile, mse, kl or auto (per tensor)")
	fs.BoolVar(&f.biasCorrection, "bias-correction", false, "subtract from each layer's bias the mean error its rounded weights add (measured on the calibration images)")
}

// isModelFile reports whether the --model value names a file rather than
// a zoo model.
func isModelFile(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// looksLikePath reports whether a --model value was meant as a file (it has
// a folder or an extension), so that a typo in a path is reported as a
// missing file rather than an unknown model name.
func looksLikePath(name string) bool {
	return strings.ContainsRune(name, os.PathSeparator) || filepath.Ext(name) != ""
}

// opened is a model ready to be compiled into classifiers, one per worker.
type opened struct {
	name      string
	precision string
	float     *graph.Graph // for fp32
	zoo       models.Model
	labels    *models.Labels
	quantized *qnet.Model // for int8
}

// newClassifier compiles one more classifier for the model.
func (o *opened) newClassifier() (*classify.Classifier, error) {
	if o.quantized != nil {
		return classify.NewInt8(o.quantized)
	}
	return classify.New(o.float, o.zoo.Preprocess, o.labels.Names)
}

// open loads what the flags name. It warns on stderr when predictions will
// mean nothing.
func (f *modelFlags) open(stderr io.Writer) (*opened, error) {
	if f.model == "" {
		return nil, usageErrorf("--model is required (a model file, or one of: %s)", strings.Join(models.Names(), ", "))
	}
	switch f.precision {
	case "", "fp32", "int8":
	default:
		return nil, usageErrorf("--precision %q: want fp32 or int8", f.precision)
	}
	if isModelFile(f.model) {
		if f.precision == "fp32" {
			return nil, usageErrorf("%s is an int8 model file: it runs at --precision int8 only", f.model)
		}
		if f.weights != "" {
			return nil, usageErrorf("%s is a compiled model file: it holds its weights, drop --weights", f.model)
		}
		qm, err := modelfile.Load(f.model)
		if err != nil {
			return nil, err
		}
		labels := models.LabelsFromNames(qm.Labels)
		if f.labels != "" {
			if labels, err = models.LoadLabels(f.labels); err != nil {
				return nil, err
			}
			if len(labels.Names) != qm.Tensors[qm.Output].Shape.C {
				return nil, fmt.Errorf("labels %s has %d classes, the model outputs %d", f.labels, len(labels.Names), qm.Tensors[qm.Output].Shape.C)
			}
			qm.Labels = labels.Names
		}
		if f.calibDir != "" {
			return nil, usageErrorf("%s is already quantized: --calib and the other calibration flags do not apply", f.model)
		}
		return &opened{name: qm.Name, precision: "int8", quantized: qm, labels: labels}, nil
	}
	if looksLikePath(f.model) {
		_, err := os.Stat(f.model)
		return nil, fmt.Errorf("model file %s: %w", f.model, err)
	}
	if f.precision != "int8" && f.calibDir != "" {
		return nil, usageErrorf("--calib quantizes the model: use it with --precision int8 (or eval --compare)")
	}
	m, g, labels, err := f.loadFloat(stderr)
	if err != nil {
		return nil, err
	}
	o := &opened{name: m.Name, precision: "fp32", float: g, zoo: m, labels: labels}
	if f.precision == "int8" {
		if f.calibDir == "" {
			return nil, usageErrorf("--precision int8 for a named model needs --calib DIR (or quantize once with 'neonet quantize' and pass the model file)")
		}
		if o.quantized, err = f.quantize(m, g, labels.Names, stderr); err != nil {
			return nil, err
		}
		o.precision = "int8"
	}
	return o, nil
}

// loadFloat builds the named model, loads its weights and resolves labels.
func (f *modelFlags) loadFloat(stderr io.Writer) (models.Model, *graph.Graph, *models.Labels, error) {
	m, err := models.Lookup(f.model)
	if err != nil {
		return models.Model{}, nil, nil, usageError{err}
	}
	if f.weights == "" {
		fmt.Fprintf(stderr, "neonet: no --weights given: %s runs with seeded random weights, predictions are meaningless\n", m.Name)
	}
	g, err := m.Load(f.weights)
	if err != nil {
		return m, nil, nil, err
	}
	classes := g.OutputShape().C
	var labels *models.Labels
	if f.labels != "" {
		labels, err = models.LoadLabels(f.labels)
	} else {
		labels, err = models.DefaultLabels(m.Labels)
	}
	if err != nil {
		return m, nil, nil, err
	}
	if len(labels.Names) != classes {
		if f.labels != "" {
			return m, nil, nil, fmt.Errorf("labels %s has %d classes, the model outputs %d", f.labels, len(labels.Names), classes)
		}
		fmt.Fprintf(stderr, "neonet: the checkpoint has %d classes, not %s's %d: pass --labels FILE to name them\n", classes, m.Labels, len(labels.Names))
		labels = &models.Labels{}
		for i := range classes {
			name := fmt.Sprintf("class %d", i)
			labels.Names, labels.IDs = append(labels.Names, name), append(labels.IDs, name)
		}
	}
	return m, g, labels, nil
}

// quantize calibrates g on the --calib images and converts it to int8.
func (f *modelFlags) quantize(m models.Model, g *graph.Graph, labels []string, stderr io.Writer) (*qnet.Model, error) {
	method, err := calib.ParseMethod(f.method)
	if err != nil {
		return nil, usageError{err}
	}
	paths, err := ptq.CalibrationImages(f.calibDir, f.calibImages)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "calibrating %s on %d images from %s\n", m.Name, len(paths), f.calibDir)
	c, err := ptq.Calibrate(g, m.Preprocess, paths, progressPrinter(stderr, "images"))
	if err != nil {
		return nil, err
	}
	c.BiasCorrection = f.biasCorrection
	note := fmt.Sprintf("%s ranges from %d images of %s", method, len(paths), f.calibDir)
	if f.biasCorrection {
		note += ", bias correction"
	}
	return c.Quantize(ptq.Meta{Name: m.Name, Labels: labels, Preprocess: m.Preprocess, Calibration: note}, method)
}
