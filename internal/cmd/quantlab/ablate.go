package main

import (
	"fmt"
	"math"
	"sort"

	"strings"
	"sync"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/quant/ptq"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
)

// group names the role of an EfficientNet tensor.
func group(name string) string {
	switch {
	case name == "input":
		return "input"
	case name == "features.0.0":
		return "stem"
	case name == "features.0.2":
		return "stem.silu"
	case name == "features.8.0":
		return "head"
	case name == "features.8.2":
		return "head.silu"
	case name == "avgpool" || name == "flatten" || name == "classifier.1":
		return "logits"
	case strings.HasSuffix(name, ".add"):
		return "add"
	}
	for _, s := range []string{".avgpool", ".fc1", ".activation", ".fc2", ".scale_activation"} {
		if strings.HasSuffix(name, s) {
			return "se"
		}
	}
	first := strings.HasPrefix(name, "features.1.")
	i := strings.Index(name, ".block.")
	if i < 0 {
		return "?"
	}
	rest := name[i+len(".block."):]
	if first {
		rest = map[string]string{"0.0": "1.0", "0.2": "1.2", "1": "2", "2.0": "3.0"}[rest]
	}
	switch rest {
	case "0.0":
		return "expand"
	case "0.2":
		return "expand.silu"
	case "1.0":
		return "dw"
	case "1.2":
		return "dw.silu"
	case "2":
		return "mul"
	case "3.0":
		return "project"
	}
	return "?"
}

var groups = []string{"input", "stem", "stem.silu", "expand", "expand.silu", "dw", "dw.silu", "se", "mul", "project", "add", "head", "head.silu", "logits"}

// simEval runs the simulator on samples and returns logits SQNR and agreement.
func simEval(g *graph.Graph, qm *qnet.Model, held []*sample, qt, qw func(name, kind string) bool) (float64, float64) {
	sims := []*sim{newSim(g, qm, qt, qw), newSim(g, qm, qt, qw)}
	var mu sync.Mutex
	var sig, noise float64
	agree := 0
	classify.Parallel(len(held), 2, func(w, i int) {
		out := sims[w].run(held[i].input)
		var s, n float64
		for j, x := range held[i].logits {
			d := float64(x) - float64(out[j])
			s += float64(x) * float64(x)
			n += d * d
		}
		a := classify.TopIndices(out, 1)[0] == classify.TopIndices(held[i].logits, 1)[0]
		mu.Lock()
		sig += s
		noise += n
		agree += btoi(a)
		mu.Unlock()
	}, nil)
	return 10 * math.Log10(sig/noise), pct(agree, len(held))
}

func ablate(g *graph.Graph, qm *qnet.Model, held []*sample) {
	none := func(string, string) bool { return false }
	all := func(string, string) bool { return true }
	s, a := simEval(g, qm, held, all, all)
	fmt.Printf("  sim all quantized        logits %5.1f dB agree %5.1f%%\n", s, a)
	s, a = simEval(g, qm, held, none, all)
	fmt.Printf("  weights only             logits %5.1f dB agree %5.1f%%\n", s, a)
	for _, gr := range groups {
		only := func(name, _ string) bool { return group(name) == gr }
		s, a = simEval(g, qm, held, only, none)
		but := func(name, _ string) bool { return group(name) != gr }
		s2, a2 := simEval(g, qm, held, but, all)
		fmt.Printf("  %-12s only: logits %5.1f dB agree %5.1f%%   all but it: %5.1f dB agree %5.1f%%\n", gr, s, a, s2, a2)
	}
}

// scan quantizes only the named tensor, with its range scaled, and
// reports the logits SQNR for each scale.
func scan(g *graph.Graph, qm *qnet.Model, held []*sample, name string) {
	idx := -1
	for i, t := range qm.Tensors {
		if t.Name == name {
			idx = i
		}
	}
	orig := qm.Tensors[idx].Params
	lo := orig.Scale * float32(-128-orig.Zero)
	hi := orig.Scale * float32(127-orig.Zero)
	none := func(string, string) bool { return false }
	only := func(n, _ string) bool { return n == name }
	for _, f := range []float32{0.25, 0.35, 0.5, 0.7, 1, 1.4} {
		qm.Tensors[idx].Params = quant.ChooseParams(lo, hi*f)
		s, a := simEval(g, qm, held, only, none)
		fmt.Printf("  %s range [%.3f, %.3f] (x%.2f hi): logits %5.1f dB agree %5.1f%%\n", name, lo, hi*f, f, s, a)
	}
	qm.Tensors[idx].Params = orig
}

// budget quantizes one tensor at a time and lists the noise each adds to
// the logits, largest first.
func budget(g *graph.Graph, qm *qnet.Model, held []*sample) {
	none := func(string, string) bool { return false }
	type item struct {
		name  string
		noise float64
	}
	var items []item
	total := 0.0
	for _, t := range qm.Tensors {
		name := t.Name
		only := func(n, _ string) bool { return n == name }
		s, _ := simEval(g, qm, held, only, none)
		items = append(items, item{name, math.Pow(10, -s/10)})
		total += math.Pow(10, -s/10)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].noise > items[j].noise })
	fmt.Printf("  sum of single-tensor noise: %.1f dB\n", -10*math.Log10(total))
	for _, it := range items[:40] {
		fmt.Printf("  %5.1f dB  %5.1f%%  %s (%s)\n", -10*math.Log10(it.noise), 100*it.noise/total, it.name, group(it.name))
	}
}

// perChannelTrial compares, for the tensors of the given groups, the
// model's per-tensor parameters with per-channel min/max parameters
// measured on the calibration images, everything else quantized as in qm.
func perChannelTrial(g *graph.Graph, qm *qnet.Model, cal, held []*sample, groupList string) {
	want := map[string]bool{}
	for _, gr := range strings.Split(groupList, ",") {
		want[gr] = true
	}
	var names []string
	for _, t := range qm.Tensors {
		if want[group(t.Name)] {
			names = append(names, t.Name)
		}
	}
	fp, err := engine.Compile(g, ptq.LowerOptions)
	must(err)
	byName := map[string]graph.Value{}
	for _, l := range engine.Lower(g, ptq.LowerOptions) {
		byName[l.Node.Name] = l.Output
	}
	lo, hi := map[string][]float32{}, map[string][]float32{}
	for _, s := range cal {
		_, err := fp.RunInput(s.input)
		must(err)
		for _, n := range names {
			t := fp.Value(byName[n])
			C := t.Shape.C
			if lo[n] == nil {
				lo[n], hi[n] = make([]float32, C), make([]float32, C)
			}
			for i, x := range t.Data {
				lo[n][i%C] = min(lo[n][i%C], x)
				hi[n][i%C] = max(hi[n][i%C], x)
			}
		}
	}
	all := func(string, string) bool { return true }
	sims := []*sim{newSim(g, qm, all, all), newSim(g, qm, all, all)}
	for _, sm := range sims {
		for _, n := range names {
			ps := make([]quant.Params, len(lo[n]))
			for c := range ps {
				ps[c] = quant.ChooseParams(lo[n][c], hi[n][c])
			}
			sm.perChannel(byName[n], ps)
		}
	}
	var mu sync.Mutex
	var sig, noise float64
	agree := 0
	classify.Parallel(len(held), 2, func(w, i int) {
		out := sims[w].run(held[i].input)
		var s, nn float64
		for j, x := range held[i].logits {
			d := float64(x) - float64(out[j])
			s += float64(x) * float64(x)
			nn += d * d
		}
		a := classify.TopIndices(out, 1)[0] == classify.TopIndices(held[i].logits, 1)[0]
		mu.Lock()
		sig += s
		noise += nn
		agree += btoi(a)
		mu.Unlock()
	}, nil)
	fmt.Printf("  per-channel min/max at %s (%d tensors): logits %5.1f dB agree %5.1f%%\n", groupList, len(names), 10*math.Log10(sig/noise), pct(agree, len(held)))
}
