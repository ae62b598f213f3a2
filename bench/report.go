package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"neonet.dev/neonet/kernels/dispatch"
)

// Report is one benchmark run: the machine and its results, written as
// text (WriteText) or as one JSON object (WriteJSON).
type Report struct {
	Machine Machine   `json:"machine"`
	Results []*Result `json:"results"`
}

// WriteJSON writes the report as one indented JSON object; the per-layer
// profiles only with layers.
func (r Report) WriteJSON(w io.Writer, layers bool) error {
	if !layers {
		results := make([]*Result, len(r.Results))
		for i, res := range r.Results {
			c := *res
			c.Layers = nil
			results[i] = &c
		}
		r.Results = results
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the machine, the notes and the results table and, with
// layers, each configuration's per-layer profile.
func (r Report) WriteText(w io.Writer, layers bool) error {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s, %d cores, %s/%s, %s", m.CPU, m.Cores, m.OS, m.Arch, m.Go)
	if m.LoadAvg1 > 0 {
		fmt.Fprintf(w, ", load average %.2f at start", m.LoadAvg1)
	}
	fmt.Fprintf(w, "\nint8 kernel path: %s (fastest this CPU supports unless %s says otherwise)\n", m.Kernels, dispatch.EnvVar)
	for _, n := range Notes(r.Results) {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tINPUT\tPRECISION\tKERNELS\tTHREADS\tRUNS\tMIN ms\tMEDIAN ms\tMAX ms\tMMACs\tGMAC/s\tNOTE")
	for _, r := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%s\n", r.Model, r.Input, r.Precision, r.Kernels,
			r.ThreadsUsed, r.Runs, r.MinMS, r.MedianMS, r.MaxMS, float64(r.MACs)/1e6, r.GMACPerS, r.Note)
	}
	if err := tw.Flush(); err != nil || !layers {
		return err
	}
	for _, r := range r.Results {
		fmt.Fprintf(w, "\n%s %s, %d thread(s): per-layer median of %d profiled runs (sum %.2f ms)\n", r.Model, r.Precision, r.ThreadsUsed, r.Runs, r.LayerSum())
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tLAYER\tKERNEL\tms\tSHARE\tMMACs\tGMAC/s")
		for i, l := range r.Layers {
			gmacs := ""
			if l.MACs > 0 {
				gmacs = fmt.Sprintf("%.2f", l.GMACPerS)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.1f%%\t%.2f\t%s\n", i, l.Name, l.Kernel, l.MedianMS, 100*l.Share, float64(l.MACs)/1e6, gmacs)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
