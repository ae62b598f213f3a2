package bench

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
)

// Run measures every precision and thread count asked for, with a
// per-layer profile whose shares add up and whose MACs are the model's.
func TestRunProfile(t *testing.T) {
	var log strings.Builder
	var units []string
	opt := Options{Models: []string{"shiftresnet20"}, Precisions: []string{"fp32", "int8"}, Threads: []int{1, 2},
		Runs: 2, Profile: true, Method: "minmax", Log: &log,
		Progress: func(unit string) func(done, total int) {
			units = append(units, unit)
			return nil
		}}
	results, err := Run(opt, dispatch.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || results[0].Precision != "fp32" || results[1].Threads != 1 || results[2].Threads != 2 {
		t.Fatalf("%d results: want fp32 once, int8 at 1 and 2 threads", len(results))
	}
	for _, r := range results {
		var share float64
		var macs int64
		for _, l := range r.Layers {
			share, macs = share+l.Share, macs+l.MACs
		}
		if math.Abs(share-1) > 1e-9 || macs != r.MACs || !(r.MinMS <= r.MedianMS && r.MedianMS <= r.MaxMS) {
			t.Errorf("%s %s: shares %v, layer MACs %d of %d, times %v/%v/%v", r.Model, r.Precision, share, macs, r.MACs, r.MinMS, r.MedianMS, r.MaxMS)
		}
	}
	if r := results[2]; r.ThreadsUsed != 1 || !strings.Contains(r.Note, "runs on 1") {
		t.Errorf("the reference path at 2 threads: used %d, note %q", r.ThreadsUsed, r.Note)
	}
	if !strings.Contains(log.String(), "synthetic inputs") || !slices.Equal(units, []string{"runs", "runs", "runs"}) {
		t.Errorf("log %q, progress of %v", log.String(), units)
	}
	notes := Notes(results)
	if len(notes) != 2 || !strings.Contains(notes[0], "shiftresnet20 weights: seeded random") || !strings.Contains(notes[1], "int8 calibration") {
		t.Errorf("notes %q", notes)
	}

	files, err := PlotLayers(filepath.Join(t.TempDir(), "p.png"), results)
	if err != nil || len(files) != 3 || !strings.HasSuffix(files[1], "p_shiftresnet20_int8_t1.png") {
		t.Fatalf("charts %v: %v", files, err)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Size() < 1000 {
		t.Errorf("chart %s: %v", files[0], err)
	}
}

func TestHotLayers(t *testing.T) {
	layers := []Layer{{MedianMS: 1, Share: .1}, {MedianMS: 4, Share: .4}, {MedianMS: 2, Share: .2}, {MedianMS: 3, Share: .3}}
	if got := hotLayers(layers); !slices.Equal(got, []bool{false, true, false, true}) {
		t.Errorf("hot %v: want the two slowest, which take half the time", got)
	}
}
