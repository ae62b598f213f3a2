package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/models"
)

type evalFlags struct {
	modelFlags
	data        string
	asJSON      bool
	workers     int
	limit       int
	predictions string
	compare     bool
	int8File    string
	plot        string
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "--model NAME|FILE [--weights FILE] --data DIR [--json] [--compare ...]", stdout)
	var ef evalFlags
	ef.register(fs)
	fs.StringVar(&ef.data, "data", "", "folder of labelled images (required)")
	fs.BoolVar(&ef.asJSON, "json", false, `print a JSON summary {"top1", "top5", ...} (fractions) instead of text`)
	fs.IntVar(&ef.workers, "workers", runtime.NumCPU(), "images classified in parallel (at most one per image and per CPU core)")
	fs.IntVar(&ef.limit, "limit", 0, "evaluate only N images, spread evenly over the sorted list so every class is seen (0: all)")
	fs.StringVar(&ef.predictions, "predictions", "", "also write per-image results as JSON lines to this file")
	fs.BoolVar(&ef.compare, "compare", false, "compare fp32 with int8 (needs a named model, and --int8 FILE or --calib DIR)")
	fs.StringVar(&ef.int8File, "int8", "", "with --compare: the int8 model file to compare with")
	fs.StringVar(&ef.plot, "plot", "", "with --compare: draw the per-layer SQNR chart to this PNG file")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case ef.data == "":
		return cli.Usagef("--data is required")
	case ef.workers < 1:
		return cli.Usagef("--workers must be at least 1")
	case ef.compare:
		return runCompare(&ef, stdout, stderr)
	case ef.plot != "" || ef.int8File != "":
		return cli.Usagef("--plot and --int8 go with --compare")
	}
	o, err := ef.open(stderr)
	if err != nil {
		return err
	}
	samples, err := ef.samples(o.Labels)
	if err != nil {
		return err
	}
	pool, err := o.Classifiers(classify.Workers(ef.workers, len(samples)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "evaluating %s (%s) on %d images from %s with %d workers\n", o.Name, o.Precision, len(samples), ef.data, len(pool))
	results, sum := classify.Evaluate(samples, pool, progress.Printer(stderr, "images"))
	if ef.predictions != "" {
		if err := classify.WritePredictions(ef.predictions, results); err != nil {
			return err
		}
	}
	for _, r := range results {
		if r.Err != "" {
			fmt.Fprintf(stderr, "neonet eval: %s\n", r.Err)
		}
	}
	if ef.asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Model     string `json:"model"`
			Precision string `json:"precision"`
			classify.Summary
		}{o.Name, o.Precision, sum})
	}
	fmt.Fprintf(stdout, "%s (%s) on %d images: top-1 %.2f%%  top-5 %.2f%%  (%.1f images/s", o.Name, o.Precision, sum.Images,
		100*sum.Top1, 100*sum.Top5, sum.ImagesPerSec)
	if sum.Failed > 0 {
		fmt.Fprintf(stdout, ", %d unreadable images counted wrong", sum.Failed)
	}
	fmt.Fprintln(stdout, ")")
	return nil
}

// samples scans the dataset with the model's labels and applies --limit.
func (ef *evalFlags) samples(labels *models.Labels) ([]classify.Sample, error) {
	samples, err := classify.ScanDataset(ef.data, labels)
	return classify.Spread(samples, ef.limit), err
}
