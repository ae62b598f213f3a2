package main

import (
	"fmt"
	"io"
	"os"

	"neonet.dev/neonet/modelfile"
)

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", "--model NAME --weights FILE --calib DIR --out FILE [--method mse]", `
Quantize a model to int8 and save it as one model file, the file the
firmware loads. Activation ranges are calibrated on images from --calib
(at most --calib-images of them, spread evenly over the folder); weights are
int8 per output channel. The file holds the graph, the weights, the labels
and the preprocessing, so later commands need only --model FILE.

Example:
  neonet quantize --model squeezenet1_1 --weights squeezenet1_1.pth \
      --calib photos/ --out squeezenet1_1.neonet`, stdout)
	var mf modelFlags
	fs.StringVar(&mf.model, "model", "", "model name (see 'neonet models')")
	fs.StringVar(&mf.weights, "weights", "", "weights: a torchvision .pth checkpoint, or the shiftresnet20 CSV folder")
	fs.StringVar(&mf.labels, "labels", "", "class names, one per line in output order (default: the model's dataset labels)")
	mf.registerCalib(fs)
	out := fs.String("out", "", "the model file to write (required)")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	switch {
	case mf.model == "":
		return usageErrorf("--model is required")
	case isModelFile(mf.model):
		return usageErrorf("%s is already a model file", mf.model)
	case mf.weights == "":
		return usageErrorf("--weights is required: quantizing random weights would give a model that means nothing")
	case mf.calibDir == "":
		return usageErrorf("--calib DIR is required: a folder of images like those the model will see")
	case *out == "":
		return usageErrorf("--out FILE is required")
	}
	m, g, labels, err := mf.loadFloat(stderr)
	if err != nil {
		return err
	}
	qm, err := mf.quantize(m, g, labels.Names, stderr)
	if err != nil {
		return err
	}
	if err := modelfile.Save(*out, qm); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s int8, %d tensors, %d ops, %.1f KB (%s)\n", *out, qm.Name, len(qm.Tensors), len(qm.Nodes), float64(st.Size())/1024, qm.Calibration)
	return nil
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "FILE", `
Print what a model file holds: format version, checksum, the model it was
made from, its input and preprocessing, labels, how it was calibrated, and
every op with its output shape and quantization parameters. The file is
fully verified (checksum and structure) first.`, stdout)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want exactly one FILE")
	}
	m, info, err := modelfile.LoadWithInfo(pos[0])
	if err != nil {
		return err
	}
	modelfile.Describe(stdout, m, info)
	return nil
}
