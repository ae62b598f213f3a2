package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/atomicfile"
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
	fs := newFlags("eval", "--model NAME|FILE [--weights FILE] --data DIR [--json] [--compare ...]", `
Measure a model's top-1 and top-5 accuracy on a labelled folder of images.
Two layouts are understood:
  DIR/<class>/<image>           class subfolders named as in the labels (CIFAR-10)
  DIR/<wnid>_<anything>.JPEG    ImageNet files whose names start with the class id
Progress goes to stderr; the result to stdout.

With --compare, a named model runs in fp32 and int8 side by side (the int8
model from --int8 FILE, or quantized now from --calib DIR): accuracy of
both, how often their top-1 agree, and the quantization error of every
layer (SQNR in dB, fp32 vs int8 activations); --plot draws that as a chart.

Examples:
  neonet eval --model squeezenet1_1 --weights sq.pth --data imagenet-dev
  neonet eval --model squeezenet1_1 --weights sq.pth --data imagenet-dev --compare --calib imagenet-dev --plot sqnr.png`, stdout)
	var ef evalFlags
	ef.register(fs)
	fs.StringVar(&ef.data, "data", "", "folder of labelled images (required)")
	fs.BoolVar(&ef.asJSON, "json", false, `print a JSON summary {"top1", "top5", ...} (fractions) instead of text`)
	fs.IntVar(&ef.workers, "workers", runtime.NumCPU(), "images classified in parallel")
	fs.IntVar(&ef.limit, "limit", 0, "evaluate only N images, spread evenly over the sorted list so every class is seen (0: all)")
	fs.StringVar(&ef.predictions, "predictions", "", "also write per-image results as JSON lines to this file")
	fs.BoolVar(&ef.compare, "compare", false, "compare fp32 with int8 (needs a named model, and --int8 FILE or --calib DIR)")
	fs.StringVar(&ef.int8File, "int8", "", "with --compare: the int8 model file to compare with")
	fs.StringVar(&ef.plot, "plot", "", "with --compare: draw the per-layer SQNR chart to this PNG file")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	if ef.data == "" {
		return usageErrorf("--data is required")
	}
	if ef.workers < 1 {
		return usageErrorf("--workers must be at least 1")
	}
	if ef.compare {
		return runCompare(&ef, stdout, stderr)
	}
	if ef.plot != "" || ef.int8File != "" {
		return usageErrorf("--plot and --int8 go with --compare")
	}
	o, err := ef.open(stderr)
	if err != nil {
		return err
	}
	samples, err := ef.samples(o.labels)
	if err != nil {
		return err
	}
	pool := make([]*classify.Classifier, ef.workers)
	if pool[0], err = o.newClassifier(); err != nil {
		return err
	}
	for i := 1; i < len(pool); i++ {
		if pool[i], err = pool[0].Clone(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "evaluating %s (%s) on %d images from %s with %d workers\n", o.name, o.precision, len(samples), ef.data, len(pool))
	results, sum := classify.Evaluate(samples, pool, progressPrinter(stderr, "images"))
	if ef.predictions != "" {
		if err := writePredictions(ef.predictions, results); err != nil {
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
		}{o.name, o.precision, sum})
	}
	fmt.Fprintf(stdout, "%s (%s) on %d images: top-1 %.2f%%  top-5 %.2f%%  (%.1f images/s", o.name, o.precision, sum.Images,
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
	if err != nil {
		return nil, err
	}
	if ef.limit > 0 && ef.limit < len(samples) {
		picked := make([]classify.Sample, ef.limit)
		for i := range picked {
			picked[i] = samples[i*len(samples)/ef.limit]
		}
		samples = picked
	}
	return samples, nil
}

// progressPrinter reports progress: on a terminal one line rewritten at
// most twice a second, elsewhere (logs, CI) a line per tenth of the work.
func progressPrinter(w io.Writer, unit string) func(done, total int) {
	start, last, lastTenth := time.Now(), time.Time{}, 0
	tty := isTerminal(w)
	return func(done, total int) {
		tenth := done * 10 / total
		if tty && done < total && time.Since(last) < 500*time.Millisecond || !tty && tenth == lastTenth {
			return
		}
		last, lastTenth = time.Now(), tenth
		elapsed := time.Since(start)
		eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		line := fmt.Sprintf("  %d/%d %s  %.1f/s  eta %v", done, total, unit, float64(done)/elapsed.Seconds(), eta.Round(time.Second))
		switch {
		case !tty:
			fmt.Fprintln(w, line)
		case done == total:
			fmt.Fprintf(w, "\r%s   \n", line)
		default:
			fmt.Fprintf(w, "\r%s   ", line)
		}
	}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// writePredictions writes results as JSON lines, atomically: a partial
// file never replaces a good one, even after a power cut.
func writePredictions(path string, results []classify.Result) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
}
