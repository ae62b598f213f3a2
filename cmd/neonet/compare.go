package main

import (
	"fmt"
	"io"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
)

// runCompare is eval --compare: the same images through the fp32 model and
// its int8 version.
func runCompare(ef *evalFlags, stdout, stderr io.Writer) error {
	switch {
	case classify.IsModelFile(ef.model):
		return cli.Usagef("--compare needs a named model with --weights (the fp32 side); pass the int8 file with --int8")
	case ef.precision != "":
		return cli.Usagef("--compare runs both precisions; drop --precision")
	case (ef.int8File == "") == (ef.calibDir == ""):
		return cli.Usagef("--compare needs exactly one of --int8 FILE and --calib DIR")
	case ef.predictions != "":
		return cli.Usagef("--predictions is not written with --compare")
	}
	fm, err := ef.loadFloat(stderr)
	if err != nil {
		return err
	}
	m, g := fm.Zoo, fm.Float
	var qm *qnet.Model
	if ef.int8File != "" {
		if qm, err = modelfile.Load(ef.int8File); err != nil {
			return err
		}
	} else if qm, err = ef.quantize(m, g, fm.Labels.Names, stderr); err != nil {
		return err
	}
	samples, err := ef.samples(fm.Labels)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "comparing %s fp32 and int8 on %d images from %s\n", m.Name, len(samples), ef.data)
	d, err := ptq.CompareDataset(g, qm, samples, m.Preprocess, classify.Workers(ef.workers, len(samples)), progress.Printer(stderr, "images"))
	if err != nil {
		return err
	}
	if ef.plot != "" {
		title := fmt.Sprintf("%s: int8 vs fp32 per layer (%d images; higher is better)", m.Name, len(samples))
		if err := ptq.PlotSQNR(ef.plot, title, d.Layers, ptq.LowSQNR); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "per-layer SQNR chart written to %s\n", ef.plot)
	}
	if ef.asJSON {
		return d.WriteJSON(stdout, m.Name)
	}
	return d.WriteText(stdout, m.Name, ef.data)
}
