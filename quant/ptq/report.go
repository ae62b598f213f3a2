package ptq

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"neonet.dev/neonet/classify"
)

// LowSQNR is the per-layer SQNR in dB under which a layer is flagged:
// about 3.5 bits of effective precision left out of int8's 8.
const LowSQNR = 20

// Agreement is the fraction of images whose top-1 class is the same at
// both precisions.
func (d *DatasetComparison) Agreement() float64 {
	if len(d.FP32) == 0 {
		return 0
	}
	return float64(d.Agree) / float64(len(d.FP32))
}

// WriteJSON writes the comparison of model name as one JSON object:
// accuracy at both precisions, their agreement and the per-layer SQNR.
func (d *DatasetComparison) WriteJSON(w io.Writer, name string) error {
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
	}{Model: name, FP32: classify.Summarize(d.FP32, d.Elapsed), Int8: classify.Summarize(d.Int8, d.Elapsed), Agreement: d.Agreement()}
	for _, l := range d.Layers {
		out.Layers = append(out.Layers, layerJSON{l.Name, l.Op, min(l.SQNR(), 999)})
	}
	return json.NewEncoder(w).Encode(out)
}

// WriteText writes the comparison of model name on the images of data as
// two tables: accuracy and agreement, then each layer's SQNR with the
// layers under LowSQNR flagged.
func (d *DatasetComparison) WriteText(w io.Writer, name, data string) error {
	fp, q := classify.Summarize(d.FP32, d.Elapsed), classify.Summarize(d.Int8, d.Elapsed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "%s on %d images of %s\n", name, len(d.FP32), data)
	fmt.Fprintln(tw, "\tfp32\tint8\t")
	fmt.Fprintf(tw, "top-1\t%.2f%%\t%.2f%%\t\n", 100*fp.Top1, 100*q.Top1)
	fmt.Fprintf(tw, "top-5\t%.2f%%\t%.2f%%\t\n", 100*fp.Top5, 100*q.Top5)
	fmt.Fprintf(tw, "top-1 agreement\t\t%.2f%%\t\n", 100*d.Agreement())
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nquantization error per layer (SQNR, fp32 vs int8 activations; < %d dB flagged):\n", LowSQNR)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tINT8 OP\tSQNR dB\t")
	for _, l := range d.Layers {
		s, flag := "exact", ""
		if !math.IsInf(l.SQNR(), 1) {
			s = fmt.Sprintf("%.1f", l.SQNR())
		}
		if l.SQNR() < LowSQNR {
			flag = "  <- low"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\t\n", l.Name, l.Op, s, flag)
	}
	return tw.Flush()
}
