package models

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"neonet.dev/neonet/checkpoint"
	"neonet.dev/neonet/graph"
)

// Load builds a model and fills it from weights: a torchvision .pth
// checkpoint, or for shiftresnet20 the folder of CSV tensors of the trained
// CIFAR-10 weights. The number of classes is taken from the checkpoint's
// classifier, so fine-tuned checkpoints load without further options. An
// empty weights path gives seeded random weights (for benchmarks and smoke
// runs; the predictions are meaningless).
func (m Model) Load(weights string) (*graph.Graph, error) {
	if weights == "" {
		g, err := m.Build(m.Classes)
		if err != nil {
			return nil, err
		}
		g.Randomize(1)
		return g, nil
	}
	if st, err := os.Stat(weights); err == nil && st.IsDir() {
		return m.loadCSV(weights)
	}
	sd, err := checkpoint.Load(weights)
	if err != nil {
		return nil, err
	}
	return m.FromStateDict(sd)
}

// FromStateDict builds the model with as many classes as the state dict's
// classifier has, and loads it strictly (see LoadStateDict).
func (m Model) FromStateDict(sd *checkpoint.StateDict) (*graph.Graph, error) {
	classes := m.Classes
	if t, ok := sd.Get(m.Classifier); ok && len(t.Shape) >= 1 && t.Shape[0] > 0 {
		classes = t.Shape[0]
	}
	g, err := m.Build(classes)
	if err != nil {
		return nil, err
	}
	if err := LoadStateDict(g, sd); err != nil {
		return nil, err
	}
	return g, nil
}

// LoadStateDict copies a state dict into g's parameters. It is strict, as
// PyTorch's load_state_dict(strict=True): a missing key, an unexpected key
// or a shape mismatch is an error, and the error lists all of them.
func LoadStateDict(g *graph.Graph, sd *checkpoint.StateDict) error {
	want := make([]checkpoint.Spec, len(g.Params))
	for i, p := range g.Params {
		want[i] = checkpoint.Spec{Name: p.Name, Shape: p.Shape}
	}
	if err := sd.Match(want); err != nil {
		return err
	}
	for _, p := range g.Params {
		t, _ := sd.Get(p.Name)
		copy(p.Data, t.Data)
	}
	return nil
}

// loadCSV reads the trained ShiftResNet-20 weights: one file per tensor,
// comma-separated values on one line, batch norm already folded into
// biases (layout in ../shared/data/README.md). Each bias goes into the
// batch norm after its convolution, set up as an exact identity plus
// bias, so the compiled model computes what the CSV describes.
func (m Model) loadCSV(dir string) (*graph.Graph, error) {
	if m.Name != "shiftresnet20" {
		return nil, fmt.Errorf("weights %s: a CSV folder only holds shiftresnet20 (expansion 1) weights, not %s", dir, m.Name)
	}
	g, err := m.Build(10)
	if err != nil {
		return nil, err
	}
	r := csvReader{dir: dir}
	param := func(name string) *graph.Param {
		p, ok := g.Param(name)
		if !ok {
			panic("shiftresnet20 has no parameter " + name) // a bug in this file, not in the input
		}
		return p
	}
	// conv fills an OIHW convolution from a tensor stored input-major
	// ([KH][KW][Cin][Cout] or [Cin][Cout]).
	conv := func(file, biasFile, prefix, bn string) {
		w := param(prefix + ".weight")
		cout, cin, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
		vals := r.read(file, len(w.Data))
		for o := range cout {
			for i := range cin {
				for y := range kh {
					for x := range kw {
						w.Data[((o*cin+i)*kh+y)*kw+x] = vals[((y*kw+x)*cin+i)*cout+o]
					}
				}
			}
		}
		biasAsBatchNorm(g, bn, r.read(biasFile, cout))
	}
	conv("t_k", "bias0", "conv1", "bn1")
	for i := range 9 {
		p := fmt.Sprintf("layer%d.%d", i/3+1, i%3)
		for k, names := range [][2]string{{".conv1", ".bn1"}, {".conv2", ".bn2"}, {".shortcut.0", ".shortcut.1"}} {
			if k == 2 && i != 3 && i != 6 {
				continue // only the downsampling blocks have a shortcut convolution
			}
			conv(fmt.Sprintf("p%d_%d", k, i), fmt.Sprintf("bias%d_%d", k, i), p+names[0], p+names[1])
		}
	}
	fc := param("linear.weight")
	vals := r.read("p_9", len(fc.Data))
	for o := range 10 {
		for i := range 64 {
			fc.Data[o*64+i] = vals[i*10+o]
		}
	}
	copy(param("linear.bias").Data, r.read("bias_9", 10))
	if r.err != nil {
		return nil, r.err
	}
	return g, nil
}

// biasAsBatchNorm makes batch norm name compute x + bias exactly: weight 1,
// mean 0 and variance 1 - eps, so that the scale 1/sqrt(var + eps) is 1.
func biasAsBatchNorm(g *graph.Graph, name string, bias []float32) {
	for _, n := range g.Nodes {
		bn, ok := n.Op.(*graph.BatchNorm)
		if !ok || n.Name != name {
			continue
		}
		for c := range bn.Bias.Data {
			bn.Weight.Data[c], bn.Mean.Data[c] = 1, 0
			bn.Var.Data[c] = 1 - bn.Eps
			if c < len(bias) {
				bn.Bias.Data[c] = bias[c]
			}
		}
	}
}

// csvReader reads CSV tensors, remembering the first error so a sequence
// of reads can be checked once.
type csvReader struct {
	dir string
	err error
}

func (r *csvReader) read(name string, n int) []float32 {
	out := make([]float32, n)
	if r.err != nil {
		return out
	}
	path := filepath.Join(r.dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		r.err = fmt.Errorf("weights: %w", err)
		return out
	}
	fields := strings.FieldsFunc(string(data), func(c rune) bool { return c == ',' || c == '\n' || c == '\r' || c == ' ' })
	if len(fields) != n {
		r.err = fmt.Errorf("weights %s: %d values, the model expects %d", path, len(fields), n)
		return out
	}
	for i, f := range fields {
		v, err := strconv.ParseFloat(f, 32)
		if err != nil {
			r.err = fmt.Errorf("weights %s: value %d: %q is not a number", path, i+1, f)
			return out
		}
		out[i] = float32(v)
	}
	return out
}
