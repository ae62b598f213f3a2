package qnet

import (
	"slices"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// The prefix at a tensor keeps exactly the nodes it depends on, shares
// their ops, and computes the same values as the whole model.
func TestPrefixKeepsWhatATensorNeeds(t *testing.T) {
	m := tiny()
	m.Labels = []string{"a", "b"}
	// A side branch from the input that the convolution does not need.
	m.Tensors = append(m.Tensors, Tensor{Name: "side", Shape: tensor.Shape{N: 1, H: 2, W: 2, C: 2}, Params: m.Tensors[0].Params})
	m.Nodes = slices.Insert(m.Nodes, 0, Node{Name: "side", Op: &MaxPool{Geometry: nn.PoolGeometry{KH: 2, KW: 2, StrideH: 2, StrideW: 2}}, Inputs: []int{0}, Output: 3})
	p, err := m.Prefix(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 1 || p.Nodes[0].Name != "conv" || p.Nodes[0].Op != m.Nodes[1].Op || len(p.Tensors) != 2 ||
		p.Tensors[p.Output].Name != "conv" || p.Labels != nil || p.Preprocess != m.Preprocess {
		t.Fatalf("prefix at conv: %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	full, err := CompileWith(m, Options{Kernels: dispatch.Ref, SeparateBuffers: true})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := CompileWith(p, Options{Kernels: dispatch.Ref})
	if err != nil {
		t.Fatal(err)
	}
	for i := range full.Input().Data {
		full.Input().Data[i] = int8(i*37 - 100)
	}
	copy(cut.Input().Data, full.Input().Data)
	full.Run()
	cut.Run()
	if !slices.Equal(full.Value(1).Data, cut.Value(p.Output).Data) {
		t.Error("the prefix computes other values than the model")
	}
	if q, err := m.Prefix(0); err != nil || len(q.Nodes) != 0 || q.Output != q.Input {
		t.Errorf("prefix at the input: %+v, %v", q, err)
	}
	if _, err := m.Prefix(len(m.Tensors)); err == nil {
		t.Error("a tensor out of range was accepted")
	}
	m.Tensors = append(m.Tensors, m.Tensors[1])
	if _, err := m.Prefix(len(m.Tensors) - 1); err == nil {
		t.Error("a tensor no node writes was accepted")
	}
}
