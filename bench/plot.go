package bench

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"neonet.dev/neonet/internal/chart"
)

// PlotLayers draws each result's per-layer profile as a PNG bar chart:
// file itself for one result, file_MODEL_PRECISION_tTHREADS.png for
// several. The layers that together take half the time are highlighted.
// It returns the files written.
func PlotLayers(file string, results []*Result) ([]string, error) {
	var written []string
	for _, r := range results {
		path := file
		if len(results) > 1 {
			ext := filepath.Ext(file)
			path = fmt.Sprintf("%s_%s_%s_t%d%s", strings.TrimSuffix(file, ext), r.Model, r.Precision, r.ThreadsUsed, ext)
		}
		hot := hotLayers(r.Layers)
		bars := make([]chart.Bar, len(r.Layers))
		for i, l := range r.Layers {
			bars[i] = chart.Bar{Label: l.Name + " [" + l.Kernel + "]", Value: l.MedianMS, Highlight: hot[i]}
		}
		title := fmt.Sprintf("%s %s, %s, %d thread(s): %.2f ms median (orange: half the time)", r.Model, r.Precision, r.Kernels, r.ThreadsUsed, r.MedianMS)
		if err := chart.SaveHorizontalBars(path, bars, chart.Options{Title: title, XLabel: "median time per layer (ms)"}); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// hotLayers marks the slowest layers that together take half the time.
func hotLayers(layers []Layer) []bool {
	order := make([]int, len(layers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(layers[b].MedianMS, layers[a].MedianMS) })
	hot := make([]bool, len(layers))
	var cum float64
	for _, i := range order {
		if cum >= 0.5 {
			break
		}
		hot[i], cum = true, cum+layers[i].Share
	}
	return hot
}
