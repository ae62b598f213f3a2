package train

import (
	"fmt"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/quant/ptq"
	"neonet.dev/neonet/tensor"
)

// Names of the nodes (and tensors) Train appends to the backbone.
const (
	poolName = "head.pool"
	headName = "head.linear"
)

// logitMargin widens the range of the training photos' logits for the
// head's output quantization, so that a photo scoring more clearly than
// any training photo still ranks its classes rather than tying at the
// clamp.
const logitMargin = 1.25

// appendNode adds a node reading m's output and writing a new tensor of
// the given shape and parameters, which becomes m's output.
func appendNode(m *qnet.Model, name string, op qnet.Op, shape tensor.Shape, params quant.Params) {
	m.Tensors = append(m.Tensors, qnet.Tensor{Name: name, Shape: shape, Params: params})
	m.Nodes = append(m.Nodes, qnet.Node{Name: name, Op: op, Inputs: []int{m.Output}, Output: len(m.Tensors) - 1})
	m.Output = len(m.Tensors) - 1
}

// inputModel starts a model whose input is a tensor like t.
func inputModel(name string, t qnet.Tensor) *qnet.Model {
	t.Name = "input"
	return &qnet.Model{Name: name, Tensors: []qnet.Tensor{t}}
}

// pooledShape is the shape of a pooled embedding of dim values.
func pooledShape(dim int) tensor.Shape { return tensor.Shape{N: 1, H: 1, W: 1, C: dim} }

// poolPrograms compiles, per worker, the global average pool the head
// starts with when the backbone's features are not pooled: features in,
// the pooled embedding in params out.
func poolPrograms(b *Backbone, params quant.Params, path dispatch.Path, workers int) ([]*qnet.Program, error) {
	m := inputModel(b.Model.Name+" "+poolName, b.Cut.Tensors[b.Cut.Output])
	appendNode(m, poolName, &qnet.GlobalAvgPool{}, pooledShape(b.Dim()), params)
	progs := make([]*qnet.Program, max(workers, 1))
	for i := range progs {
		var err error
		if progs[i], err = qnet.CompileWith(m, qnet.Options{Kernels: path, Threads: 1}); err != nil {
			return nil, err
		}
	}
	return progs, nil
}

// quantizeHead turns the float head into the int8 fully connected layer
// the model ends with, reading embeddings in params. x are the training
// embeddings: their means correct the bias for the rounding of the
// weights, and the range of their logits, widened by logitMargin, is the
// output's.
func quantizeHead(h *Head, params quant.Params, x []float64) (*qnet.Linear, quant.Params) {
	dim, k := h.Dim, h.Classes()
	n := len(x) / dim
	mean := make([]float64, dim)
	for r := range n {
		axpy(mean, 1/float64(n), x[r*dim:][:dim])
	}
	lo, hi := 0.0, 0.0
	z := make([]float64, k)
	for r := range n {
		h.Logits(x[r*dim:][:dim], z)
		for _, v := range z {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	w, b := make([]float32, len(h.W)), make([]float32, k)
	for i, v := range h.W {
		w[i] = float32(v)
	}
	for i, v := range h.B {
		b[i] = float32(v)
	}
	op := ptq.QuantizeLinear(w, b, k, params, nn.ActNone, mean)
	return op, quant.ChooseParams(float32(lo*logitMargin), float32(hi*logitMargin))
}

// headProgram compiles the int8 head alone: a pooled embedding in, the
// logits out, as the last node of the trained model computes them.
func headProgram(name string, dim int, params quant.Params, op *qnet.Linear, out quant.Params, path dispatch.Path) (*qnet.Program, error) {
	m := inputModel(name+" "+headName, qnet.Tensor{Shape: pooledShape(dim), Params: params})
	appendNode(m, headName, op, pooledShape(op.Out), out)
	return qnet.CompileWith(m, qnet.Options{Kernels: path, Threads: 1})
}

// assemble appends the head to the backbone: the global average pool if
// the features are not pooled, then the fully connected layer. The result
// is an ordinary int8 model with the classes as labels.
func assemble(b *Backbone, classes []string, params quant.Params, op *qnet.Linear, out quant.Params, note string) (*qnet.Model, error) {
	m := *b.Cut
	m.Tensors = append([]qnet.Tensor(nil), b.Cut.Tensors...)
	m.Nodes = append([]qnet.Node(nil), b.Cut.Nodes...)
	if !b.Pooled() {
		appendNode(&m, poolName, &qnet.GlobalAvgPool{}, pooledShape(b.Dim()), params)
	}
	appendNode(&m, headName, op, pooledShape(op.Out), out)
	m.Labels = append([]string(nil), classes...)
	m.Calibration = note
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("trained model: %w", err)
	}
	return &m, nil
}
