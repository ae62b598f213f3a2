package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
)

// lowSQNR is the per-layer SQNR under which a layer is flagged: about 3.5
// bits of effective precision left out of int8's 8.
const lowSQNR = 20

// runCompare is eval --compare: the same images through the fp32 model and
// its int8 version.
func runCompare(ef *evalFlags, stdout, stderr io.Writer) error {
	switch {
	case classify.IsModelFile(ef.model):
		return usageErrorf("--compare needs a named model with --weights (the fp32 side); pass the int8 file with --int8")
	case ef.precision != "":
		return usageErrorf("--compare runs both precisions; drop --precision")
	case (ef.int8File == "") == (ef.calibDir == ""):
		return usageErrorf("--compare needs exactly one of --int8 FILE and --calib DIR")
	case ef.predictions != "":
		return usageErrorf("--predictions is not written with --compare")
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
		if err := ptq.PlotSQNR(ef.plot, title, d.Layers, lowSQNR); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "per-layer SQNR chart written to %s\n", ef.plot)
	}
	return printComparison(stdout, m.Name, ef.data, d, ef.asJSON)
}

// printComparison prints accuracy of both precisions, their agreement and
// the per-layer SQNR, as text or as one JSON object.
func printComparison(stdout io.Writer, name, data string, d *ptq.DatasetComparison, asJSON bool) error {
	fpSum, qSum, layers := classify.Summarize(d.FP32, d.Elapsed), classify.Summarize(d.Int8, d.Elapsed), d.Layers
	agreement := float64(d.Agree) / float64(len(d.FP32))
	if asJSON {
		type layerJSON struct {
			Name string  `json:"name"`
			Op   string  `json:"op"`
			SQNR float64 `json:"sqnr_db"` // +Inf (exact) is written as 999
		}
		out := struct {
			Model     string           `json:"model"`
			FP32      classify.Summary `json:"fp32"`
			Int8      classify.Summary `json:"int8"`
			Agreement float64          `json:"top1_agreement"`
			Layers    []layerJSON      `json:"layers"`
		}{Model: name, FP32: fpSum, Int8: qSum, Agreement: agreement}
		for _, l := range layers {
			out.Layers = append(out.Layers, layerJSON{l.Name, l.Op, min(l.SQNR(), 999)})
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "%s on %d images of %s\n", name, len(d.FP32), data)
	fmt.Fprintln(tw, "\tfp32\tint8\t")
	fmt.Fprintf(tw, "top-1\t%.2f%%\t%.2f%%\t\n", 100*fpSum.Top1, 100*qSum.Top1)
	fmt.Fprintf(tw, "top-5\t%.2f%%\t%.2f%%\t\n", 100*fpSum.Top5, 100*qSum.Top5)
	fmt.Fprintf(tw, "top-1 agreement\t\t%.2f%%\t\n", 100*agreement)
	tw.Flush()
	fmt.Fprintf(stdout, "\nquantization error per layer (SQNR, fp32 vs int8 activations; < %d dB flagged):\n", lowSQNR)
	tw = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tINT8 OP\tSQNR dB\t")
	for _, l := range layers {
		flag := ""
		if l.SQNR() < lowSQNR {
			flag = "  <- low"
		}
		s := "exact"
		if !math.IsInf(l.SQNR(), 1) {
			s = fmt.Sprintf("%.1f", l.SQNR())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\t\n", l.Name, l.Op, s, flag)
	}
	return tw.Flush()
}
