package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
)

// The commands about models: models, summary, quantize and inspect.

func runModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models", "", stdout)
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tPARAMS\tGMACS\tINPUT\tDESCRIPTION")
	for _, m := range models.All() {
		g, err := m.Build(m.Classes)
		if err != nil {
			return err
		}
		in := g.InputShape()
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%dx%d\t%s\n", m.Name, g.TrainableParams(), float64(g.MACs())/1e9, in.W, in.H, m.Description)
	}
	return tw.Flush()
}

func runSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", "MODEL", stdout)
	classes := fs.Int("classes", 0, "number of output classes (default: the model's dataset)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cli.Usagef("want exactly one MODEL, got %d arguments (models: %v)", len(pos), models.Names())
	}
	m, err := models.Lookup(pos[0])
	if err != nil {
		return cli.UsageError{Err: err}
	}
	n := m.Classes
	if *classes > 0 {
		n = *classes
	}
	g, err := m.Build(n)
	if err != nil {
		return err
	}
	models.WriteSummary(stdout, g)
	return nil
}

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", "--model NAME --weights FILE --calib DIR --out FILE [--method mse]", stdout)
	var mf modelFlags
	fs.StringVar(&mf.model, "model", "", "model name (see 'neonet models')")
	fs.StringVar(&mf.weights, "weights", "", "weights: a torchvision .pth checkpoint, or the shiftresnet20 CSV folder")
	fs.StringVar(&mf.labels, "labels", "", "class names, one per line in output order (default: the model's dataset labels)")
	mf.registerCalib(fs)
	out := fs.String("out", "", "the model file to write (required)")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case mf.model == "":
		return cli.Usagef("--model is required")
	case classify.IsModelFile(mf.model):
		return cli.Usagef("%s is already a model file", mf.model)
	case mf.weights == "":
		return cli.Usagef("--weights is required: quantizing random weights would give a model that means nothing")
	case mf.calibDir == "":
		return cli.Usagef("--calib DIR is required: a folder of images like those the model will see")
	case *out == "":
		return cli.Usagef("--out FILE is required")
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
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cli.Usagef("want exactly one FILE")
	}
	m, info, err := modelfile.LoadWithInfo(pos[0])
	if err != nil {
		return err
	}
	modelfile.Describe(stdout, m, info)
	return nil
}
