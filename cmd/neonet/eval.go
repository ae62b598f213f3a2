package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"neonet.dev/neonet/classify"
)

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "--model NAME --weights FILE --data DIR [--json]", `
Measure a model's top-1 and top-5 accuracy on a labelled folder of images.
Two layouts are understood:
  DIR/<class>/<image>           class subfolders named as in the labels (CIFAR-10)
  DIR/<wnid>_<anything>.JPEG    ImageNet files whose names start with the class id
Progress goes to stderr; the result to stdout.`, stderr)
	var mf modelFlags
	mf.register(fs)
	data := fs.String("data", "", "folder of labelled images (required)")
	asJSON := fs.Bool("json", false, `print a JSON summary {"top1", "top5", ...} (fractions) instead of text`)
	workers := fs.Int("workers", runtime.NumCPU(), "images classified in parallel")
	limit := fs.Int("limit", 0, "evaluate only the first N images (0: all)")
	predictions := fs.String("predictions", "", "also write per-image results as JSON lines to this file")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	if *data == "" {
		return usageErrorf("--data is required")
	}
	m, g, labels, err := mf.load(stderr)
	if err != nil {
		return err
	}
	samples, err := classify.ScanDataset(*data, labels)
	if err != nil {
		return err
	}
	if *limit > 0 && *limit < len(samples) {
		samples = samples[:*limit]
	}
	pool := make([]*classify.Classifier, max(*workers, 1))
	for i := range pool {
		if pool[i], err = classify.New(m, g, labels); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "evaluating %s on %d images from %s with %d workers\n", m.Name, len(samples), *data, len(pool))
	results, sum := classify.Evaluate(samples, pool, progressPrinter(stderr))
	if *predictions != "" {
		if err := writePredictions(*predictions, results); err != nil {
			return err
		}
	}
	for _, r := range results {
		if r.Err != "" {
			fmt.Fprintf(stderr, "neonet eval: %s\n", r.Err)
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Model string `json:"model"`
			classify.Summary
		}{m.Name, sum})
	}
	fmt.Fprintf(stdout, "%s on %d images: top-1 %.2f%%  top-5 %.2f%%  (%.1f images/s", m.Name, sum.Images,
		100*sum.Top1, 100*sum.Top5, sum.ImagesPerSec)
	if sum.Failed > 0 {
		fmt.Fprintf(stdout, ", %d unreadable images counted wrong", sum.Failed)
	}
	fmt.Fprintln(stdout, ")")
	return nil
}

// progressPrinter reports progress: on a terminal one line rewritten at
// most twice a second, elsewhere (logs, CI) a line per tenth of the work.
func progressPrinter(w io.Writer) func(done, total int) {
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
		line := fmt.Sprintf("  %d/%d images  %.1f/s  eta %v", done, total, float64(done)/elapsed.Seconds(), eta.Round(time.Second))
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

// writePredictions writes results as JSON lines, atomically: a partial file
// never replaces a good one.
func writePredictions(path string, results []classify.Result) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, r := range results {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
