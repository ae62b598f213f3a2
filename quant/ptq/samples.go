package ptq

import (
	"sync"
	"time"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/internal/chart"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
)

// DatasetComparison is a float model and its int8 version compared on
// labelled images.
type DatasetComparison struct {
	FP32, Int8 []classify.Result // per image, in sample order
	Agree      int               // images whose top-1 class is the same
	Layers     []*LayerError     // every int8 tensor's error, over all images
	Elapsed    time.Duration
}

// CompareDataset runs every sample through the float model g and its int8
// version qm, preprocessed with spec, spread over workers goroutines
// (each with its own Comparison, merged at the end). progress, if set, is
// called after each image.
func CompareDataset(g *graph.Graph, qm *qnet.Model, samples []classify.Sample, spec preprocess.Spec, workers int,
	progress func(done, total int)) (*DatasetComparison, error) {
	cs := make([]*Comparison, max(workers, 1))
	var err error
	if cs[0], err = NewComparison(g, qm); err != nil {
		return nil, err
	}
	for i := 1; i < len(cs); i++ {
		if cs[i], err = cs[0].Clone(); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	d := compareSamples(samples, cs, spec, progress)
	d.Elapsed = time.Since(start)
	for _, c := range cs[1:] {
		cs[0].Merge(c)
	}
	d.Layers = cs[0].Layers
	return d, nil
}

// compareSamples classifies every sample with both models, worker w using
// workers[w].
func compareSamples(samples []classify.Sample, workers []*Comparison, spec preprocess.Spec, progress func(done, total int)) *DatasetComparison {
	d := &DatasetComparison{FP32: make([]classify.Result, len(samples)), Int8: make([]classify.Result, len(samples))}
	fp, q := d.FP32, d.Int8
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
			d.Agree++
			mu.Unlock()
		}
	}, progress)
	return d
}

// PlotSQNR draws the per-layer SQNR of layers as a PNG bar chart, layers
// under low (dB) highlighted and marked by a line.
func PlotSQNR(file, title string, layers []*LayerError, low float64) error {
	bars := make([]chart.Bar, len(layers))
	for i, l := range layers {
		bars[i] = chart.Bar{Label: l.Name + " [" + l.Op + "]", Value: l.SQNR(), Highlight: l.SQNR() < low}
	}
	return chart.SaveHorizontalBars(file, bars, chart.Options{Title: title, XLabel: "SQNR (dB)", Threshold: low})
}
