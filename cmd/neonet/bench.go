package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"neonet.dev/neonet/bench"
	"neonet.dev/neonet/internal/cli"
	"neonet.dev/neonet/internal/progress"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/models"
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
	var cam cameraFlags
	cam.register(fs, "time camera-to-logits instead: each int8 run classifies the newest frame of this\ncamera SPEC (docs/camera.md), from its capture to the logits", false)
	fs.StringVar(&bf.plot, "plot", "", "draw the per-layer profile as a PNG bar chart (one file per configuration:\nFILE.png for one, FILE_MODEL_PRECISION_tN.png for several)")
	bf.registerCalib(fs)
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	opt, err := cam.options()
	if err != nil {
		return err
	}
	bf.Camera, bf.CameraOptions = cam.spec, opt
	if bf.Camera != "" && !cli.Given(fs, "precision") {
		*precisions = "int8"
	}
	if err := bf.check(*precisions, *threads); err != nil {
		return err
	}
	if bf.Camera != "" && slices.Contains(bf.Precisions, "fp32") {
		return cli.Usagef("--camera times the int8 path (the camera preprocesses into the int8 input): drop fp32 from --precision")
	}
	return bf.run(stdout, stderr)
}

// check validates the flags and parses the lists into the options.
func (bf *benchFlags) check(precisions, threads string) error {
	for _, p := range cli.SplitList(precisions) {
		if p != "fp32" && p != "int8" {
			return cli.Usagef("--precision %q: want fp32 and/or int8", p)
		}
		if !slices.Contains(bf.Precisions, p) {
			bf.Precisions = append(bf.Precisions, p)
		}
	}
	if len(bf.Precisions) == 0 {
		return cli.Usagef("--precision is empty: want fp32 and/or int8")
	}
	for _, s := range cli.SplitList(threads) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cli.Usagef("--threads %q: want positive whole numbers, e.g. 1,2", s)
		}
		if !slices.Contains(bf.Threads, n) {
			bf.Threads = append(bf.Threads, n)
		}
	}
	bf.Models = cli.SplitList(bf.model)
	switch {
	case len(bf.Threads) == 0:
		return cli.Usagef("--threads is empty: want thread counts, e.g. 1,2")
	case bf.Runs < 1:
		return cli.Usagef("--runs %d: want at least 1", bf.Runs)
	case bf.Warmup < 0:
		return cli.Usagef("--warmup %d: want 0 or more", bf.Warmup)
	case len(bf.Models) == 0:
		return cli.Usagef("--model is empty")
	case bf.plot != "" && !strings.EqualFold(filepath.Ext(bf.plot), ".png"):
		return cli.Usagef("--plot %q: want a .png file", bf.plot)
	}
	if _, err := (models.Model{}).Ranges(bf.method); err != nil {
		return cli.UsageError{Err: err}
	}
	bf.Method = bf.method
	for _, name := range bf.Models {
		file, err := checkModelFile(name, bf.weights, slices.Equal(bf.Precisions, []string{"fp32"}))
		if err != nil {
			return err
		}
		if !file {
			if _, err := models.Lookup(name); err != nil {
				return cli.UsageError{Err: err}
			}
		}
	}
	if bf.weights != "" && len(bf.Models) != 1 {
		return cli.Usagef("--weights belongs to one model: give a single --model with it")
	}
	if bf.calibDir != "" && !slices.Contains(bf.Precisions, "int8") {
		return cli.Usagef("--calib calibrates the int8 model: use it with --precision int8")
	}
	return nil
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
	report := bench.Report{Machine: machine, Results: results}
	if bf.asJSON {
		return report.WriteJSON(stdout, bf.layers)
	}
	return report.WriteText(stdout, bf.layers)
}
