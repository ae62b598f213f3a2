package classify

import (
	"encoding/json"
	"io"
	"time"

	"neonet.dev/neonet/internal/atomicfile"
)

// Result is one image's outcome in an evaluation.
type Result struct {
	Path  string `json:"file"`
	Label int    `json:"label"`
	Top   []int  `json:"top"` // class indices, most likely first (up to 5)
	Err   string `json:"error,omitempty"`
}

// Summary is an evaluation's accuracy.
type Summary struct {
	Images       int     `json:"images"`
	Failed       int     `json:"failed"`
	Top1         float64 `json:"top1"` // fraction of images, 0..1
	Top5         float64 `json:"top5"`
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_second"`
}

// Evaluate classifies every sample with one classifier per worker and
// returns per-sample results (in sample order) and the summary. progress,
// if not nil, is called after each image with the count done so far, from
// one goroutine at a time.
func Evaluate(samples []Sample, workers []*Classifier, progress func(done, total int)) ([]Result, Summary) {
	start := time.Now()
	results := make([]Result, len(samples))
	Parallel(len(samples), len(workers), func(w, i int) {
		s := samples[i]
		r := Result{Path: s.Path, Label: s.Label}
		if err := workers[w].LoadFile(s.Path); err != nil {
			r.Err = err.Error()
		} else {
			for _, p := range workers[w].Top(5) {
				r.Top = append(r.Top, p.Index)
			}
		}
		results[i] = r
	}, progress)
	return results, Summarize(results, time.Since(start))
}

// Summarize computes accuracy over results; failed images count as wrong.
func Summarize(results []Result, elapsed time.Duration) Summary {
	s := Summary{Images: len(results), Seconds: elapsed.Seconds()}
	var top1, top5 int
	for _, r := range results {
		if r.Err != "" {
			s.Failed++
			continue
		}
		for k, idx := range r.Top {
			if idx == r.Label {
				if k == 0 {
					top1++
				}
				top5++
				break
			}
		}
	}
	if s.Images > 0 {
		s.Top1 = float64(top1) / float64(s.Images)
		s.Top5 = float64(top5) / float64(s.Images)
	}
	if s.Seconds > 0 {
		s.ImagesPerSec = float64(s.Images) / s.Seconds
	}
	return s
}

// WritePredictions writes results to path as JSON lines, atomically: a
// partial file never replaces a good one, even after a power cut.
func WritePredictions(path string, results []Result) error {
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
