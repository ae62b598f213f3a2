// Command quantlab measures int8 quantization variants of a model on a
// calibration / held-out split of an image folder (an experiment tool).
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
	"neonet.dev/neonet/quant/ptq"
)

var (
	modelName = flag.String("model", "efficientnet_b0", "zoo model")
	weights   = flag.String("weights", "/work/shared/data/weights/efficientnet_b0_tfhub.pth", "weights")
	dataDir   = flag.String("data", "/work/shared/data/images/imagenet-dev", "images")
	cacheDir  = flag.String("cache", "/tmp/effnet/cache", "cache of preprocessed inputs and fp32 logits")
	nCalib    = flag.Int("calib", 100, "calibration images")
	layers    = flag.Bool("layers", false, "per-layer SQNR on held-out (slow)")
	configs   = flag.String("configs", "mse", "comma-separated variants")
	stats     = flag.String("stats", "", "comma-separated tensors whose per-channel ranges to print")
	chErr     = flag.String("cherr", "", "comma-separated int8 tensors whose per-channel errors to print")
	scanT     = flag.String("scan", "", "comma-separated tensors to quantize alone with scaled ranges")
	doBudget  = flag.Bool("budget", false, "noise each tensor adds alone")
	perChan   = flag.String("perchan", "", "semicolon-separated lists of groups to try per-channel parameters on")
	doAblate  = flag.Bool("ablate", false, "quantize one group of tensors at a time in simulation")
	nHeld     = flag.Int("n", 0, "use only every k-th held-out image so that about n are used (0: all)")
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func writeF32(path string, v []float32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	must(os.WriteFile(path, b, 0o644))
}

func readF32(path string, n int) ([]float32, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) != 4*n {
		return nil, false
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, true
}

type sample struct {
	path   string
	label  int
	input  []float32
	logits []float32 // fp32
}

func main() {
	flag.Parse()
	m, err := models.Lookup(*modelName)
	must(err)
	g, err := m.Load(*weights)
	must(err)
	labels, _ := models.DefaultLabels(m.Labels)
	all, err := classify.ScanDataset(*dataDir, labels)
	must(err)
	calibPaths, err := ptq.CalibrationImages(*dataDir, *nCalib)
	must(err)
	must(os.MkdirAll(*cacheDir, 0o755))
	prog, err := engine.Compile(g, engine.Options{Batch: 1})
	must(err)
	var cal, held []*sample
	for _, s := range all {
		x := &sample{path: s.Path, label: s.Label}
		base := filepath.Join(*cacheDir, m.Name+"."+filepath.Base(s.Path))
		var ok1, ok2 bool
		x.input, ok1 = readF32(base+".in", m.Preprocess.Len())
		x.logits, ok2 = readF32(base+".fp32", 1000)
		if !ok1 || !ok2 {
			img, err := preprocess.Decode(s.Path)
			must(err)
			x.input = make([]float32, m.Preprocess.Len())
			must(m.Preprocess.Tensor(img, x.input))
			out, err := prog.RunInput(x.input)
			must(err)
			x.logits = slices.Clone(out.Data)
			writeF32(base+".in", x.input)
			writeF32(base+".fp32", x.logits)
		}
		if slices.Contains(calibPaths, s.Path) {
			cal = append(cal, x)
		} else {
			held = append(held, x)
		}
	}
	if *nHeld > 0 && *nHeld < len(held) {
		var sub []*sample
		for i := 0; i < *nHeld; i++ {
			sub = append(sub, held[i*len(held)/(*nHeld)])
		}
		held = sub
	}
	fmt.Printf("%d calibration, %d held-out\n", len(cal), len(held))
	if *stats == "weights" {
		weightStats(g)
		return
	}
	if *stats != "" {
		channelStats(g, cal[:20], strings.Split(*stats, ","))
		return
	}
	t0 := time.Now()
	c, err := ptq.NewCalibrator(g)
	must(err)
	for _, s := range cal {
		must(c.Observe(s.input))
	}
	fmt.Printf("calibrated in %v\n", time.Since(t0).Round(time.Second))
	for _, cfg := range strings.Split(*configs, ",") {
		run(g, c, cfg, cal, held)
	}
}

func run(g *graph.Graph, c *ptq.Calibrator, cfg string, calSet, held []*sample) {
	method := calib.MSE
	opts := ptq.Options{}
	for _, part := range strings.Split(cfg, "+") {
		if mm, err := calib.ParseMethod(part); err == nil {
			method = mm
			continue
		}
		must(opts.Set(part))
	}
	t0 := time.Now()
	qm, err := c.QuantizeWith(ptq.Meta{Name: g.Name}, method, opts)
	must(err)
	tq := time.Since(t0)
	var fp1, q1, agree int
	var sig, noise float64
	var mu sync.Mutex
	var cmp []*ptq.Comparison
	if *layers {
		cmp = make([]*ptq.Comparison, 2)
		cmp[0], err = ptq.NewComparison(g, qm)
		must(err)
		cmp[1], err = cmp[0].Clone()
		must(err)
	}
	progs := make([]*qnet.Program, 2)
	for i := range progs {
		progs[i], err = qnet.CompileWith(qm, qnet.Options{Kernels: mustPath(), Threads: 1})
		must(err)
	}
	classify.Parallel(len(held), 2, func(w, i int) {
		s := held[i]
		var ql []float32
		if cmp != nil {
			_, l, err := cmp[w].Add(s.input)
			must(err)
			ql = l
		} else {
			must(progs[w].QuantizeInput(s.input))
			progs[w].Run()
			ql = progs[w].Logits()
		}
		a, b := classify.TopIndices(s.logits, 1)[0], classify.TopIndices(ql, 1)[0]
		var ss, nn float64
		for j, x := range s.logits {
			d := float64(x) - float64(ql[j])
			ss += float64(x) * float64(x)
			nn += d * d
		}
		mu.Lock()
		fp1 += btoi(a == s.label)
		q1 += btoi(b == s.label)
		agree += btoi(a == b)
		sig += ss
		noise += nn
		mu.Unlock()
	}, nil)
	n := len(held)
	fmt.Printf("%-40s fp32 %.2f%% int8 %.2f%% delta %+.2f agree %.2f%% logitSQNR %.1f dB (quantize %v)\n", cfg,
		pct(fp1, n), pct(q1, n), pct(q1, n)-pct(fp1, n), pct(agree, n), 10*math.Log10(sig/noise), tq.Round(time.Millisecond))
	for _, t := range strings.Split(*scanT, ",") {
		if t != "" {
			scan(g, qm, held, t)
		}
	}
	for _, gl := range strings.Split(*perChan, ";") {
		if gl != "" {
			perChannelTrial(g, qm, calSet, held, gl)
		}
	}
	if *doBudget {
		budget(g, qm, held)
	}
	if *doAblate {
		ablate(g, qm, held)
	}
	if *chErr != "" {
		channelErrors(g, qm, held, strings.Split(*chErr, ","))
	}
	if cmp != nil {
		cmp[0].Merge(cmp[1])
		for _, l := range cmp[0].Layers {
			fmt.Printf("  %6.1f dB  %-40s %s\n", l.SQNR(), l.Name, l.Op)
		}
		ls := slices.Clone(cmp[0].Layers)
		sort.Slice(ls, func(i, j int) bool { return ls[i].SQNR() < ls[j].SQNR() })
		_ = ls
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pct(a, n int) float64 { return 100 * float64(a) / float64(n) }

func mustPath() dispatch.Path { return dispatch.Best() }

// channelStats prints per-channel ranges of the named tensors.
func channelStats(g *graph.Graph, cal []*sample, names []string) {
	prog, err := engine.Compile(g, ptq.LowerOptions)
	must(err)
	byName := map[string]graph.Value{}
	for _, l := range engine.Lower(g, ptq.LowerOptions) {
		byName[l.Node.Name] = l.Output
	}
	type st struct{ lo, hi, ss, n []float64 }
	stats := map[string]*st{}
	for _, s := range cal {
		_, err := prog.RunInput(s.input)
		must(err)
		for _, name := range names {
			t := prog.Value(byName[name])
			C := t.Shape.C
			x := stats[name]
			if x == nil {
				x = &st{make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C)}
				for c := range C {
					x.lo[c], x.hi[c] = math.Inf(1), math.Inf(-1)
				}
				stats[name] = x
			}
			for p := 0; p < len(t.Data); p += C {
				for c, v := range t.Data[p : p+C] {
					x.lo[c] = min(x.lo[c], float64(v))
					x.hi[c] = max(x.hi[c], float64(v))
					x.ss[c] += float64(v) * float64(v)
					x.n[c]++
				}
			}
		}
	}
	for _, name := range names {
		x := stats[name]
		type ch struct {
			c           int
			lo, hi, rms float64
		}
		var chs []ch
		var tss, tn float64
		for c := range x.lo {
			chs = append(chs, ch{c, x.lo[c], x.hi[c], math.Sqrt(x.ss[c] / x.n[c])})
			tss += x.ss[c]
			tn += x.n[c]
		}
		sort.Slice(chs, func(i, j int) bool { return chs[i].hi-chs[i].lo > chs[j].hi-chs[j].lo })
		fmt.Printf("%s: %d channels, rms %.3g\n", name, len(chs), math.Sqrt(tss/tn))
		for i, c := range chs {
			if i < 6 || i >= len(chs)-3 || i == len(chs)/2 {
				fmt.Printf("   ch %4d  [%9.3f, %9.3f]  rms %.3f\n", c.c, c.lo, c.hi, c.rms)
			}
		}
	}
}

// weightStats prints, for convolutions and linear layers, how dominated
// each output channel's weight scale is by its largest weight.
func weightStats(g *graph.Graph) {
	for _, l := range engine.Lower(g, ptq.LowerOptions) {
		if l.Weight == nil {
			continue
		}
		out := len(l.Bias)
		per := len(l.Weight) / out
		var worst, sumRatio float64
		worstO, worstI := 0, 0
		for o := range out {
			row := l.Weight[o*per : (o+1)*per]
			var mx, ss float64
			arg := 0
			for i, w := range row {
				ss += float64(w) * float64(w)
				if a := math.Abs(float64(w)); a > mx {
					mx, arg = a, i
				}
			}
			r := mx / math.Sqrt(ss/float64(per))
			sumRatio += r
			if r > worst {
				worst, worstO, worstI = r, o, arg
			}
		}
		fmt.Printf("%-36s out %4d per %5d  max/rms mean %5.2f worst %6.2f (o %d in %d)\n", l.Node.Name, out, per, sumRatio/float64(out), worst, worstO, worstI)
	}
}

// channelErrors prints per-channel signal and error (RMS) of int8 tensors
// against fp32 on the given samples, and, for convolutions reading the
// tensor, the column norms of their weights.
func channelErrors(g *graph.Graph, qm *qnet.Model, samples []*sample, names []string) {
	fp, err := engine.Compile(g, ptq.LowerOptions)
	must(err)
	qp, err := qnet.CompileWith(qm, qnet.Options{Kernels: dispatch.Ref, SeparateBuffers: true})
	must(err)
	byName := map[string]graph.Value{}
	lowered := engine.Lower(g, ptq.LowerOptions)
	for _, l := range lowered {
		byName[l.Node.Name] = l.Output
	}
	tensorIdx := map[string]int{}
	for i, t := range qm.Tensors {
		tensorIdx[t.Name] = i
	}
	type acc struct{ s, n, mean []float64 }
	accs := make([]acc, len(names))
	for _, s := range samples {
		_, err := fp.RunInput(s.input)
		must(err)
		must(qp.QuantizeInput(s.input))
		qp.Run()
		for k, name := range names {
			ref := fp.Value(byName[name])
			ti := tensorIdx[name]
			p := qm.Tensors[ti].Params
			q := qp.Value(ti).Data
			C := ref.Shape.C
			if accs[k].s == nil {
				accs[k] = acc{make([]float64, C), make([]float64, C), make([]float64, C)}
			}
			for j, x := range ref.Data {
				d := float64(p.Dequantize(q[j])) - float64(x)
				accs[k].s[j%C] += float64(x) * float64(x)
				accs[k].n[j%C] += d * d
				accs[k].mean[j%C] += d
			}
		}
	}
	for k, name := range names {
		a := accs[k]
		var S, N float64
		type ch struct {
			c             int
			sqnr, s, n, m float64
		}
		var chs []ch
		for c := range a.s {
			S += a.s[c]
			N += a.n[c]
			chs = append(chs, ch{c, 10 * math.Log10(a.s[c]/a.n[c]), a.s[c], a.n[c], a.mean[c] / math.Sqrt(a.n[c]*float64(len(samples))*float64(len(a.s))/float64(len(a.s)))})
		}
		sort.Slice(chs, func(i, j int) bool { return chs[i].n > chs[j].n })
		fmt.Printf("%s: SQNR %.1f dB, params %v\n", name, 10*math.Log10(S/N), qm.Tensors[tensorIdx[name]].Params)
		for i, c := range chs {
			if i < 8 {
				fmt.Printf("   ch %4d  SQNR %6.1f  signal share %5.1f%%  noise share %5.1f%%\n", c.c, c.sqnr, 100*c.s/S, 100*c.n/N)
			}
		}
	}
}
