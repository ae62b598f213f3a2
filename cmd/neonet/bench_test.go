package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neonet.dev/neonet/bench"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
)

func TestBenchFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--precision", "fp16"}, 2, `--precision "fp16"`},
		{[]string{"--precision", ","}, 2, "--precision is empty"},
		{[]string{"--threads", "0"}, 2, `--threads "0"`},
		{[]string{"--threads", "two"}, 2, `--threads "two"`},
		{[]string{"--runs", "0"}, 2, "--runs 0"},
		{[]string{"--warmup", "-1"}, 2, "--warmup -1"},
		{[]string{"--model", "resnet50"}, 2, `unknown model "resnet50"`},
		{[]string{"--model", "squeezenet1_1,shiftresnet20", "--weights", "w.pth"}, 2, "--weights belongs to one model"},
		{[]string{"--plot", "profile.jpg"}, 2, "want a .png file"},
		{[]string{"--precision", "fp32", "--calib", "photos"}, 2, "--calib calibrates the int8 model"},
		{[]string{"--method", "guess"}, 2, "guess"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--model", "nope/sq.neonet"}, 1, "no such file"},
	} {
		code, out, errOut := neonet(append([]string{"bench"}, tc.args...)...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("bench %v: exit %d (want %d), stdout %q, stderr %q (want %q)", tc.args, code, tc.code, out, errOut, tc.want)
		}
	}
	code, out, _ := neonet("bench", "--help")
	if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--layers") {
		t.Errorf("bench --help: exit %d, %q", code, out)
	}
}

// benchJSON is the shape of 'neonet bench --json'.
type benchJSON struct {
	Machine struct {
		CPU     string `json:"cpu"`
		Cores   int    `json:"cores"`
		Go      string `json:"go"`
		Kernels string `json:"int8_kernels"`
	} `json:"machine"`
	Results []struct {
		Model       string  `json:"model"`
		Precision   string  `json:"precision"`
		Input       string  `json:"input"`
		Weights     string  `json:"weights"`
		Calibration string  `json:"calibration"`
		Kernels     string  `json:"kernels"`
		Threads     int     `json:"threads"`
		ThreadsUsed int     `json:"threads_used"`
		Runs        int     `json:"runs"`
		MinMS       float64 `json:"min_ms"`
		MedianMS    float64 `json:"median_ms"`
		MaxMS       float64 `json:"max_ms"`
		MACs        int64   `json:"macs"`
		GMACPerS    float64 `json:"gmac_per_s"`
		Note        string  `json:"note"`
		Layers      []struct {
			Name     string  `json:"name"`
			Kernel   string  `json:"kernel"`
			MedianMS float64 `json:"median_ms"`
			Share    float64 `json:"share"`
			MACs     int64   `json:"macs"`
		} `json:"layers"`
	} `json:"results"`
}

func TestBenchJSON(t *testing.T) {
	code, out, errOut := neonet("bench", "--model", "shiftresnet20", "--runs", "2", "--warmup", "0", "--threads", "1,2", "--json", "--layers")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var js benchJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if js.Machine.Cores < 1 || js.Machine.Go == "" || js.Machine.CPU == "" || js.Machine.Kernels == "" {
		t.Errorf("machine %+v", js.Machine)
	}
	// fp32 runs once (single-threaded), int8 once per thread count.
	if len(js.Results) != 3 {
		t.Fatalf("%d results, want fp32 once and int8 at 1 and 2 threads:\n%s", len(js.Results), out)
	}
	for i, r := range js.Results {
		want := []string{"fp32", "int8", "int8"}[i]
		if r.Model != "shiftresnet20" || r.Precision != want || r.Input != "1x32x32x3" || r.Runs != 2 {
			t.Errorf("result %d: %+v", i, r)
		}
		if !(r.MinMS > 0 && r.MinMS <= r.MedianMS && r.MedianMS <= r.MaxMS) || r.MACs <= 0 || r.GMACPerS <= 0 {
			t.Errorf("result %d: times %v/%v/%v ms, %d MACs, %v GMAC/s", i, r.MinMS, r.MedianMS, r.MaxMS, r.MACs, r.GMACPerS)
		}
		if !strings.Contains(r.Weights, "random") || r.ThreadsUsed < 1 {
			t.Errorf("result %d: weights %q, threads used %d", i, r.Weights, r.ThreadsUsed)
		}
		var share float64
		var macs int64
		for _, l := range r.Layers {
			share += l.Share
			macs += l.MACs
			if l.Name == "" || l.Kernel == "" || l.MedianMS < 0 {
				t.Errorf("result %d: layer %+v", i, l)
			}
		}
		if len(r.Layers) < 20 || math.Abs(share-1) > 1e-6 || macs != r.MACs {
			t.Errorf("result %d: %d layers, shares sum to %v, layer MACs %d of %d", i, len(r.Layers), share, macs, r.MACs)
		}
	}
	fp32, int8 := js.Results[0], js.Results[1]
	if fp32.Note == "" || fp32.ThreadsUsed != 1 || fp32.MACs != int8.MACs {
		t.Errorf("fp32 with --threads 1,2 must say it is single-threaded: %+v", fp32)
	}
	if int8.Kernels != js.Machine.Kernels || !strings.Contains(int8.Calibration, "synthetic") {
		t.Errorf("int8 kernels %q (machine %q), calibration %q", int8.Kernels, js.Machine.Kernels, int8.Calibration)
	}
	if two := js.Results[2]; two.Threads != 2 || (two.ThreadsUsed != 2) != (two.Note != "") {
		t.Errorf("int8 at 2 threads: used %d, note %q", two.ThreadsUsed, two.Note)
	}
}

func TestBenchTableAndPlot(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "profile.png")
	code, out, errOut := neonet("bench", "--model", "shiftresnet20", "--precision", "int8", "--threads", "1", "--runs", "1", "--warmup", "0", "--layers", "--plot", plot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"int8 kernel path:", "MEDIAN ms", "GMAC/s", "shiftresnet20", "synthetic inputs", "per-layer median", "layer3.2.add"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "fp32") {
		t.Errorf("--precision int8 printed fp32 rows:\n%s", out)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
}

// A model file runs at int8 as it is; inspect shows its activation memory.
func TestBenchModelFile(t *testing.T) {
	m, err := models.Lookup("shiftresnet20")
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Load("")
	if err != nil {
		t.Fatal(err)
	}
	qm, err := bench.Quantize(m, g, bench.Options{Method: "minmax"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(qm.Calibration, "synthetic") {
		t.Errorf("calibration note %q", qm.Calibration)
	}
	file := filepath.Join(t.TempDir(), "sr20.neonet")
	if err := modelfile.Save(file, qm); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := neonet("bench", "--model", file, "--threads", "1", "--runs", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var js benchJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js.Results) != 1 || js.Results[0].Precision != "int8" {
		t.Fatalf("model file bench: %v\n%s", err, out)
	}
	if !strings.Contains(errOut, "fp32 skipped") {
		t.Errorf("no note that fp32 was skipped: %q", errOut)
	}
	if code, _, errOut := neonet("bench", "--model", file, "--precision", "fp32"); code != 2 || !strings.Contains(errOut, "int8 only") {
		t.Errorf("model file at fp32: exit %d, %q", code, errOut)
	}
	code, out, errOut = neonet("inspect", file)
	if code != 0 || !strings.Contains(out, "peak activation memory:") || !strings.Contains(out, "with a buffer per tensor") {
		t.Errorf("inspect: exit %d, %s\n%s", code, errOut, out)
	}
}

// TestBenchCamera times camera-to-logits on the synthetic pattern: int8
// only, the camera named in the results, and fp32 refused.
func TestBenchCamera(t *testing.T) {
	var out, errOut strings.Builder
	args := []string{"--model", "shiftresnet20", "--camera", "synthetic:160x120", "--camera-fps", "0", "--threads", "1", "--warmup", "1", "--runs", "3", "--json"}
	if err := runBench(args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var got struct {
		Results []struct {
			Precision string  `json:"precision"`
			Camera    string  `json:"camera"`
			MedianMS  float64 `json:"median_ms"`
			Note      string  `json:"note"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(got.Results) != 1 || got.Results[0].Precision != "int8" || got.Results[0].Camera != "synthetic:160x120" ||
		!(got.Results[0].MedianMS > 0) || !strings.Contains(got.Results[0].Note, "camera-to-logits") {
		t.Errorf("results %+v: want one int8 configuration timed from the camera", got.Results)
	}
	err := runBench([]string{"--model", "shiftresnet20", "--camera", "synthetic", "--precision", "fp32,int8"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "fp32") {
		t.Errorf("--camera with fp32: %v, want a usage error naming fp32", err)
	}
}
