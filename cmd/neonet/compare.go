package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"text/tabwriter"
	"time"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/chart"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/ptq"
)

// lowSQNR is the per-layer SQNR under which a layer is flagged: about 3.5
// bits of effective precision left out of int8's 8.
const lowSQNR = 20

// runCompare is eval --compare: the same images through the fp32 model and
// its int8 version.
func runCompare(ef *evalFlags, stdout, stderr io.Writer) error {
	if isModelFile(ef.model) {
		return usageErrorf("--compare needs a named model with --weights (the fp32 side); pass the int8 file with --int8")
	}
	if ef.precision != "" {
		return usageErrorf("--compare runs both precisions; drop --precision")
	}
	if (ef.int8File == "") == (ef.calibDir == "") {
		return usageErrorf("--compare needs exactly one of --int8 FILE and --calib DIR")
	}
	if ef.predictions != "" {
		return usageErrorf("--predictions is not written with --compare")
	}
	m, g, labels, err := ef.loadFloat(stderr)
	if err != nil {
		return err
	}
	var qm *qnet.Model
	if ef.int8File != "" {
		if qm, err = modelfile.Load(ef.int8File); err != nil {
			return err
		}
	} else if qm, err = ef.quantize(m, g, labels.Names, stderr); err != nil {
		return err
	}
	samples, err := ef.samples(labels)
	if err != nil {
		return err
	}
	workers := make([]*ptq.Comparison, ef.workers)
	if workers[0], err = ptq.NewComparison(g, qm); err != nil {
		return err
	}
	for i := 1; i < len(workers); i++ {
		if workers[i], err = workers[0].Clone(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "comparing %s fp32 and int8 on %d images from %s\n", m.Name, len(samples), ef.data)
	start := time.Now()
	fp, q, agree := compareAll(samples, workers, m.Preprocess, progressPrinter(stderr, "images"))
	elapsed := time.Since(start)
	for _, w := range workers[1:] {
		workers[0].Merge(w)
	}
	fpSum, qSum := classify.Summarize(fp, elapsed), classify.Summarize(q, elapsed)
	layers := workers[0].Layers
	if ef.plot != "" {
		bars := make([]chart.Bar, len(layers))
		for i, l := range layers {
			bars[i] = chart.Bar{Label: l.Name + " [" + l.Op + "]", Value: l.SQNR(), Highlight: l.SQNR() < lowSQNR}
		}
		title := fmt.Sprintf("%s: int8 vs fp32 per layer (%d images; higher is better)", m.Name, len(samples))
		if err := chart.SaveHorizontalBars(ef.plot, bars, chart.Options{Title: title, XLabel: "SQNR (dB)", Threshold: lowSQNR}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "per-layer SQNR chart written to %s\n", ef.plot)
	}
	agreement := float64(agree) / float64(len(samples))
	if ef.asJSON {
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
		}{Model: m.Name, FP32: fpSum, Int8: qSum, Agreement: agreement}
		for _, l := range layers {
			out.Layers = append(out.Layers, layerJSON{l.Name, l.Op, min(l.SQNR(), 999)})
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "%s on %d images of %s\n", m.Name, len(samples), ef.data)
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

// compareAll runs every sample through both models, spread over the
// workers, and returns per-sample results for each precision and the
// number of images whose top-1 class agrees.
func compareAll(samples []classify.Sample, workers []*ptq.Comparison, spec preprocess.Spec, progress func(done, total int)) (fp, q []classify.Result, agree int) {
	fp, q = make([]classify.Result, len(samples)), make([]classify.Result, len(samples))
	inputs := make([][]float32, len(workers))
	for i := range inputs {
		inputs[i] = make([]float32, spec.Len())
	}
	var mu sync.Mutex
	classify.Parallel(len(samples), len(workers), func(w, i int) {
		s := samples[i]
		fp[i] = classify.Result{Path: s.Path, Label: s.Label}
		q[i] = fp[i]
		img, err := preprocess.Decode(s.Path)
		if err == nil {
			err = spec.Tensor(img, inputs[w])
		}
		var fl, ql []float32
		if err == nil {
			fl, ql, err = workers[w].Add(inputs[w])
		}
		if err != nil {
			fp[i].Err, q[i].Err = err.Error(), err.Error()
			return
		}
		fp[i].Top, q[i].Top = classify.TopIndices(fl, 5), classify.TopIndices(ql, 5)
		if fp[i].Top[0] == q[i].Top[0] {
			mu.Lock()
			agree++
			mu.Unlock()
		}
	}, progress)
	return fp, q, agree
}
