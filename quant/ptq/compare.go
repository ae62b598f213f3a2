package ptq

import (
	"fmt"
	"math"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/qnet"
)

// LayerError is the quantization error of one int8 tensor against its
// float counterpart, accumulated over images.
type LayerError struct {
	Name   string // the layer (module path) that writes the tensor
	Op     string // the int8 op
	signal float64
	noise  float64
}

// SQNR is the signal-to-quantization-noise ratio in dB:
// 10 log10(sum x^2 / sum (x - dequantized int8)^2). Higher is better; each
// bit of precision is worth about 6 dB, and +Inf means exact.
func (e *LayerError) SQNR() float64 {
	if e.noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(e.signal/e.noise)
}

// Comparison runs a float model and its int8 version side by side and
// measures every int8 tensor's error.
type Comparison struct {
	fp32   *engine.Program
	int8   *qnet.Program
	pairs  []pair
	Layers []*LayerError
}

type pair struct {
	value  graph.Value // float value
	tensor int         // int8 tensor
}

// NewComparison pairs the tensors of g (compiled as for quantization) and
// m by layer name; the int8 input tensor pairs with the float input.
func NewComparison(g *graph.Graph, m *qnet.Model) (*Comparison, error) {
	fp, err := engine.Compile(g, LowerOptions)
	if err != nil {
		return nil, err
	}
	qp, err := qnet.CompileWith(m, qnet.Options{Kernels: dispatch.Ref, SeparateBuffers: true}) // every tensor kept, none fused away
	if err != nil {
		return nil, err
	}
	c := &Comparison{fp32: fp, int8: qp}
	byName := map[string]graph.Value{"input": g.Input}
	for _, l := range engine.Lower(g, LowerOptions) {
		byName[l.Node.Name] = l.Output
	}
	writer := map[int]string{m.Input: "input"}
	for _, n := range m.Nodes {
		writer[n.Output] = n.Op.Kind()
	}
	for i, t := range m.Tensors {
		v, ok := byName[t.Name]
		if !ok {
			continue // a tensor with no float twin, such as a requantized concat input
		}
		if fp.Value(v).Shape != t.Shape {
			return nil, fmt.Errorf("compare: %s is %v in the float model, %v in the int8 model", t.Name, fp.Value(v).Shape, t.Shape)
		}
		c.pairs = append(c.pairs, pair{v, i})
		c.Layers = append(c.Layers, &LayerError{Name: t.Name, Op: writer[i]})
	}
	if len(c.pairs) == 0 {
		return nil, fmt.Errorf("compare: the int8 model %s shares no layer with the float model %s", m.Name, g.Name)
	}
	return c, nil
}

// Clone returns a comparison of the same models with its own buffers and
// zeroed errors, sharing the weights, for another goroutine; Merge its
// errors back.
func (c *Comparison) Clone() (*Comparison, error) {
	qp, err := qnet.CompileWith(c.int8.Model(), qnet.Options{Kernels: dispatch.Ref, SeparateBuffers: true})
	if err != nil {
		return nil, err
	}
	d := &Comparison{fp32: c.fp32.Clone(), int8: qp, pairs: c.pairs}
	for _, l := range c.Layers {
		d.Layers = append(d.Layers, &LayerError{Name: l.Name, Op: l.Op})
	}
	return d, nil
}

// Add runs both models on one preprocessed image and accumulates the
// errors. It returns both models' logits (valid until the next call).
func (c *Comparison) Add(image []float32) (fp32, int8 []float32, err error) {
	out, err := c.fp32.RunInput(image)
	if err != nil {
		return nil, nil, err
	}
	if err := c.int8.QuantizeInput(image); err != nil {
		return nil, nil, err
	}
	c.int8.Run()
	m := c.int8.Model()
	for i, p := range c.pairs {
		params := m.Tensors[p.tensor].Params
		ref, q := c.fp32.Value(p.value).Data, c.int8.Value(p.tensor).Data
		var s, n float64
		for j, x := range ref {
			d := float64(x) - float64(params.Dequantize(q[j]))
			s += float64(x) * float64(x)
			n += d * d
		}
		c.Layers[i].signal += s
		c.Layers[i].noise += n
	}
	return out.Data, c.int8.Logits(), nil
}

// Merge adds the errors another comparison of the same models measured
// (one comparison runs per worker).
func (c *Comparison) Merge(other *Comparison) {
	for i, l := range other.Layers {
		c.Layers[i].signal += l.signal
		c.Layers[i].noise += l.noise
	}
}
