package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"neonet.dev/neonet/bench"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/quant/calib"
)

// benchFlags are neonet bench's options.
type benchFlags struct {
	modelFlags
	bench.Options
	layers, asJSON bool
	plot           string
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--model NAME|FILE,...] [--precision fp32,int8] [--threads 1,2] [--runs N] [--layers] [--json] [--plot FILE.png]", stdout)
	var bf benchFlags
	fs.StringVar(&bf.model, "model", strings.Join(bench.Models, ","), "comma-separated model names (see 'neonet models') or int8 model files")
	fs.StringVar(&bf.weights, "weights", "", "weights for a single named model (.pth or the shiftresnet20 CSV folder);\nempty means seeded random weights")
	precisions := fs.String("precision", "fp32,int8", "comma-separated precisions: fp32, int8")
	threads := fs.String("threads", fmt.Sprintf("1,%d", runtime.NumCPU()), "comma-separated thread counts for int8 (fp32 is single-threaded)")
	fs.IntVar(&bf.Warmup, "warmup", 2, "untimed runs before timing")
	fs.IntVar(&bf.Runs, "runs", 10, "timed runs")
	fs.BoolVar(&bf.layers, "layers", false, "print a per-layer profile of each configuration")
	fs.BoolVar(&bf.asJSON, "json", false, "print the results as one JSON object")
	fs.StringVar(&bf.Camera, "camera", "", "time camera-to-logits instead: each int8 run classifies the newest frame of this\ncamera SPEC (docs/camera.md), from its capture to the logits")
	fs.Float64Var(&bf.CameraFPS, "camera-fps", 30, "with --camera: frame rate to ask for; files and folders play at this rate (0: as fast as they decode)")
	fs.StringVar(&bf.plot, "plot", "", "draw the per-layer profile as a PNG bar chart (one file per configuration:\nFILE.png for one, FILE_MODEL_PRECISION_tN.png for several)")
	bf.registerCalib(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if bf.Camera != "" && !given(fs, "precision") {
		*precisions = "int8"
	}
	if err := bf.check(*precisions, *threads); err != nil {
		return err
	}
	if bf.Camera != "" && slices.Contains(bf.Precisions, "fp32") {
		return usageErrorf("--camera times the int8 path (the camera preprocesses into the int8 input): drop fp32 from --precision")
	}
	if !(bf.CameraFPS >= 0) || math.IsInf(bf.CameraFPS, 0) {
		return usageErrorf("--camera-fps must be a frame rate, got %v", bf.CameraFPS)
	}
	return bf.run(stdout, stderr)
}

// check validates the flags and parses the lists into the options.
func (bf *benchFlags) check(precisions, threads string) error {
	for _, p := range splitList(precisions) {
		if p != "fp32" && p != "int8" {
			return usageErrorf("--precision %q: want fp32 and/or int8", p)
		}
		if !slices.Contains(bf.Precisions, p) {
			bf.Precisions = append(bf.Precisions, p)
		}
	}
	if len(bf.Precisions) == 0 {
		return usageErrorf("--precision is empty: want fp32 and/or int8")
	}
	for _, s := range splitList(threads) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return usageErrorf("--threads %q: want positive whole numbers, e.g. 1,2", s)
		}
		if !slices.Contains(bf.Threads, n) {
			bf.Threads = append(bf.Threads, n)
		}
	}
	bf.Models = splitList(bf.model)
	switch {
	case len(bf.Threads) == 0:
		return usageErrorf("--threads is empty: want thread counts, e.g. 1,2")
	case bf.Runs < 1:
		return usageErrorf("--runs %d: want at least 1", bf.Runs)
	case bf.Warmup < 0:
		return usageErrorf("--warmup %d: want 0 or more", bf.Warmup)
	case len(bf.Models) == 0:
		return usageErrorf("--model is empty")
	case bf.plot != "" && !strings.EqualFold(filepath.Ext(bf.plot), ".png"):
		return usageErrorf("--plot %q: want a .png file", bf.plot)
	}
	var err error
	if bf.Method, err = calib.ParseMethod(bf.method); err != nil {
		return usageError{err}
	}
	for _, name := range bf.Models {
		file, err := checkModelFile(name, bf.weights, slices.Equal(bf.Precisions, []string{"fp32"}))
		if err != nil {
			return err
		}
		if !file {
			if _, err := models.Lookup(name); err != nil {
				return usageError{err}
			}
		}
	}
	if bf.weights != "" && len(bf.Models) != 1 {
		return usageErrorf("--weights belongs to one model: give a single --model with it")
	}
	if bf.calibDir != "" && !slices.Contains(bf.Precisions, "int8") {
		return usageErrorf("--calib calibrates the int8 model: use it with --precision int8")
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (bf *benchFlags) run(stdout, stderr io.Writer) error {
	path, err := dispatch.Select()
	if err != nil {
		return err
	}
	machine := bench.ThisMachine(path)
	fmt.Fprintf(stderr, "neonet bench: %s, %d cores, %s/%s, %s; int8 kernel path %s\n", machine.CPU, machine.Cores,
		machine.OS, machine.Arch, machine.Go, path)
	bf.Weights, bf.Profile, bf.Log = bf.weights, bf.layers || bf.plot != "", stderr
	bf.CalibDir, bf.CalibImages, bf.BiasCorrection = bf.calibDir, bf.calibImages, bf.biasCorrection
	bf.Progress = func(unit string) func(done, total int) {
		if unit == "runs" && !progress.IsTerminal(stderr) {
			return nil // timed runs report progress on a terminal only
		}
		return progress.Printer(stderr, unit)
	}
	results, err := bench.Run(bf.Options, path)
	if err != nil {
		return err
	}
	if bf.plot != "" {
		files, err := bench.PlotLayers(bf.plot, results)
		for _, f := range files {
			fmt.Fprintf(stderr, "per-layer profile chart written to %s\n", f)
		}
		if err != nil {
			return err
		}
	}
	if bf.asJSON {
		if !bf.layers {
			for _, r := range results {
				r.Layers = nil
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Machine bench.Machine   `json:"machine"`
			Results []*bench.Result `json:"results"`
		}{machine, results})
	}
	return printBench(stdout, machine, results, bf.layers)
}

// printBench writes the results table and, with layers, each profile.
func printBench(w io.Writer, machine bench.Machine, results []*bench.Result, layers bool) error {
	fmt.Fprintf(w, "machine: %s, %d cores, %s/%s, %s", machine.CPU, machine.Cores, machine.OS, machine.Arch, machine.Go)
	if machine.LoadAvg1 > 0 {
		fmt.Fprintf(w, ", load average %.2f at start", machine.LoadAvg1)
	}
	fmt.Fprintf(w, "\nint8 kernel path: %s (fastest this CPU supports unless %s says otherwise)\n", machine.Kernels, dispatch.EnvVar)
	for _, n := range bench.Notes(results) {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tINPUT\tPRECISION\tKERNELS\tTHREADS\tRUNS\tMIN ms\tMEDIAN ms\tMAX ms\tMMACs\tGMAC/s\tNOTE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%s\n", r.Model, r.Input, r.Precision, r.Kernels,
			r.ThreadsUsed, r.Runs, r.MinMS, r.MedianMS, r.MaxMS, float64(r.MACs)/1e6, r.GMACPerS, r.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !layers {
		return nil
	}
	for _, r := range results {
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
