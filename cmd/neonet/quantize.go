package main

import (
	"fmt"
	"io"
	"os"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/modelfile"
)

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", "--model NAME --weights FILE --calib DIR --out FILE [--method mse]", stdout)
	var mf modelFlags
	fs.StringVar(&mf.model, "model", "", "model name (see 'neonet models')")
	fs.StringVar(&mf.weights, "weights", "", "weights: a torchvision .pth checkpoint, or the shiftresnet20 CSV folder")
	fs.StringVar(&mf.labels, "labels", "", "class names, one per line in output order (default: the model's dataset labels)")
	mf.registerCalib(fs)
	out := fs.String("out", "", "the model file to write (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case mf.model == "":
		return usageErrorf("--model is required")
	case classify.IsModelFile(mf.model):
		return usageErrorf("%s is already a model file", mf.model)
	case mf.weights == "":
		return usageErrorf("--weights is required: quantizing random weights would give a model that means nothing")
	case mf.calibDir == "":
		return usageErrorf("--calib DIR is required: a folder of images like those the model will see")
	case *out == "":
		return usageErrorf("--out FILE is required")
	}
	m, err := mf.loadFloat(stderr)
	if err != nil {
		return err
	}
	qm, err := mf.quantize(m.Zoo, m.Float, m.Labels.Names, stderr)
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
	fs := newFlags("inspect", "FILE", stdout)
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
