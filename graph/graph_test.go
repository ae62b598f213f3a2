package graph

import (
	"math"
	"slices"
	"strings"
	"testing"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// testNet builds a small model that uses every op, with values named by
// what they are, for the tests to check.
type testNet struct {
	g                                   *Graph
	conv, bn, relu, pool, dw, pw, res   Value
	cat, gap, mul, avg, shift, flat, fc Value
	out                                 Value
}

func buildTestNet(t *testing.T, in tensor.Shape) *testNet {
	t.Helper()
	b := NewBuilder("tiny", in)
	n := &testNet{}
	n.conv = b.Conv("features.0", b.Input(), ConvSpec{Out: 8, Kernel: 3, Stride: 2, Pad: 1, Bias: true})
	n.bn = b.BatchNorm("features.1", n.conv, 1e-5)
	n.relu = b.Act("features.2", n.bn, nn.ActReLU)
	n.pool = b.MaxPool("features.3", n.relu, 3, 2, 0, true)
	n.dw = b.Conv("features.4", n.pool, ConvSpec{Out: 8, Kernel: 3, Pad: 1, Groups: 8})
	n.pw = b.Conv("features.5", n.pool, ConvSpec{Out: 4, Kernel: 1})
	n.res = b.Add("res", n.dw, n.pool)
	n.cat = b.Concat("cat", n.res, n.pw)
	n.gap = b.GlobalAvgPool("se.pool", n.cat)
	n.mul = b.MulChannels("se.scale", n.cat, n.gap)
	n.avg = b.AvgPool("avgpool", n.mul, 2, 2, 0, false, true)
	n.shift = b.Shift("shift", n.avg, make([]nn.Offset, 12))
	n.flat = b.Flatten("flatten", n.shift)
	n.fc = b.Linear("classifier", n.flat, 10, true)
	n.out = b.Softmax("softmax", n.fc)
	g, err := b.Finish(n.out)
	if err != nil {
		t.Fatal(err)
	}
	n.g = g
	return n
}

func TestBuilderInfersShapes(t *testing.T) {
	n := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3})
	g := n.g
	for _, c := range []struct {
		name string
		v    Value
		want tensor.Shape
	}{
		{"conv 3x3 stride 2 pad 1", n.conv, tensor.Shape{N: 1, H: 16, W: 16, C: 8}},
		{"batch norm", n.bn, tensor.Shape{N: 1, H: 16, W: 16, C: 8}},
		{"relu", n.relu, tensor.Shape{N: 1, H: 16, W: 16, C: 8}},
		{"max pool 3/2 ceil", n.pool, tensor.Shape{N: 1, H: 8, W: 8, C: 8}},
		{"depthwise conv", n.dw, tensor.Shape{N: 1, H: 8, W: 8, C: 8}},
		{"pointwise conv", n.pw, tensor.Shape{N: 1, H: 8, W: 8, C: 4}},
		{"add", n.res, tensor.Shape{N: 1, H: 8, W: 8, C: 8}},
		{"concat", n.cat, tensor.Shape{N: 1, H: 8, W: 8, C: 12}},
		{"global pool", n.gap, tensor.Shape{N: 1, H: 1, W: 1, C: 12}},
		{"mul channels", n.mul, tensor.Shape{N: 1, H: 8, W: 8, C: 12}},
		{"avg pool 2/2", n.avg, tensor.Shape{N: 1, H: 4, W: 4, C: 12}},
		{"shift", n.shift, tensor.Shape{N: 1, H: 4, W: 4, C: 12}},
		{"flatten", n.flat, tensor.Shape{N: 1, H: 1, W: 1, C: 192}},
		{"linear", n.fc, tensor.Shape{N: 1, H: 1, W: 1, C: 10}},
		{"softmax", n.out, tensor.Shape{N: 1, H: 1, W: 1, C: 10}},
	} {
		if got := g.Shapes[c.v]; got != c.want {
			t.Errorf("%s: shape %v, want %v", c.name, got, c.want)
		}
	}
	if g.InputShape() != (tensor.Shape{N: 1, H: 32, W: 32, C: 3}) || g.OutputShape() != g.Shapes[n.out] || g.Output != n.out {
		t.Errorf("input %v, output %v (value %d, want %d)", g.InputShape(), g.OutputShape(), g.Output, n.out)
	}
	if len(g.Nodes) != 15 || len(g.Shapes) != 16 {
		t.Errorf("%d nodes and %d values, want 15 and 16", len(g.Nodes), len(g.Shapes))
	}
	for i, node := range g.Nodes {
		if node.Output != Value(i+1) {
			t.Errorf("node %d (%s) writes value %d, want %d", i, node.Name, node.Output, i+1)
		}
	}
	if node := g.Nodes[6]; node.Name != "res" || node.Op.Type() != "add" || !slices.Equal(node.Inputs, []Value{n.dw, n.pool}) {
		t.Errorf("node 6: %s %s reading %v", node.Op.Type(), node.Name, node.Inputs)
	}
}

func TestBuilderRegistersParamsInPyTorchOrder(t *testing.T) {
	g := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3}).g
	want := []struct {
		name      string
		shape     []int
		trainable bool
	}{
		{"features.0.weight", []int{8, 3, 3, 3}, true},
		{"features.0.bias", []int{8}, true},
		{"features.1.weight", []int{8}, true},
		{"features.1.bias", []int{8}, true},
		{"features.1.running_mean", []int{8}, false},
		{"features.1.running_var", []int{8}, false},
		{"features.1.num_batches_tracked", nil, false},
		{"features.4.weight", []int{8, 1, 3, 3}, true},
		{"features.5.weight", []int{4, 8, 1, 1}, true},
		{"classifier.weight", []int{10, 192}, true},
		{"classifier.bias", []int{10}, true},
	}
	if len(g.Params) != len(want) {
		t.Fatalf("%d params, want %d", len(g.Params), len(want))
	}
	for i, w := range want {
		p := g.Params[i]
		if p.Name != w.name || !slices.Equal(p.Shape, w.shape) || p.Trainable != w.trainable || len(p.Data) != p.Elems() {
			t.Errorf("param %d: %s %v trainable=%v with %d values, want %s %v trainable=%v", i, p.Name, p.Shape, p.Trainable, len(p.Data), w.name, w.shape, w.trainable)
		}
		if q, ok := g.Param(w.name); !ok || q != p {
			t.Errorf("Param(%q) = %v, %v", w.name, q, ok)
		}
	}
	if _, ok := g.Param("features.2.weight"); ok {
		t.Error("Param found a parameter that a ReLU does not have")
	}
	// A scalar (num_batches_tracked) holds one value.
	if p, _ := g.Param("features.1.num_batches_tracked"); p.Elems() != 1 {
		t.Errorf("scalar parameter has %d elements", p.Elems())
	}
	// 216+8 (conv) + 8+8 (batch norm affine) + 72 (depthwise) + 32
	// (pointwise) + 1920+10 (classifier); running statistics do not count.
	if n := g.TrainableParams(); n != 2274 {
		t.Errorf("TrainableParams = %d, want 2274", n)
	}
	// A new batch norm is the identity: weight and variance one, the rest zero.
	w, _ := g.Param("features.1.weight")
	v, _ := g.Param("features.1.running_var")
	m, _ := g.Param("features.1.running_mean")
	for c := range 8 {
		if w.Data[c] != 1 || v.Data[c] != 1 || m.Data[c] != 0 {
			t.Fatalf("batch norm channel %d: weight %v var %v mean %v", c, w.Data[c], v.Data[c], m.Data[c])
		}
	}
	bn := g.Nodes[1].Op.(*BatchNorm)
	if bn.Eps != 1e-5 || bn.Weight != w || bn.Var != v || bn.Mean != m {
		t.Errorf("batch norm op %+v does not hold its parameters", bn)
	}
}

func TestMACsAndConsumers(t *testing.T) {
	n := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3})
	g := n.g
	// conv: 16*16*8 outputs * 3*3*3; depthwise: 8*8*8 * 1*3*3;
	// pointwise: 8*8*4 * 8; classifier: 10 * 192.
	wantNode := map[string]int64{"features.0": 55296, "features.4": 4608, "features.5": 2048, "classifier": 1920}
	var sum int64
	for _, node := range g.Nodes {
		got := NodeMACs(g, node)
		if got != wantNode[node.Name] {
			t.Errorf("%s: %d MACs, want %d", node.Name, got, wantNode[node.Name])
		}
		sum += got
	}
	if g.MACs() != 63872 || sum != 63872 {
		t.Errorf("MACs %d (nodes sum to %d), want 63872", g.MACs(), sum)
	}

	count := g.Consumers()
	want := map[Value]int{0: 1, n.pool: 3, n.cat: 2, n.gap: 1, n.out: 1, n.fc: 1}
	for v, c := range want {
		if count[v] != c {
			t.Errorf("value %d has %d consumers, want %d", v, count[v], c)
		}
	}
}

func TestShapesFor(t *testing.T) {
	n := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3})
	shapes, err := n.g.ShapesFor(tensor.Shape{N: 4, H: 32, W: 32, C: 3})
	if err != nil {
		t.Fatal(err)
	}
	for v, s := range shapes {
		want := n.g.Shapes[v]
		want.N = 4
		if s != want {
			t.Errorf("batch 4: value %d is %v, want %v", v, s, want)
		}
	}
	if n.g.Shapes[n.out].N != 1 {
		t.Error("ShapesFor changed the graph's own shapes")
	}
	// At 64x64 the flattened features no longer fit the classifier.
	_, err = n.g.ShapesFor(tensor.Shape{N: 1, H: 64, W: 64, C: 3})
	if err == nil || !strings.Contains(err.Error(), "linear classifier") || !strings.Contains(err.Error(), "[10 768]") {
		t.Errorf("64x64 input: %v", err)
	}
}

func TestBuilderErrors(t *testing.T) {
	in := tensor.Shape{N: 1, H: 8, W: 8, C: 6}
	for _, c := range []struct {
		name  string
		input tensor.Shape
		build func(b *Builder) Value
		want  string
	}{
		{"invalid input", tensor.Shape{N: 1, H: 0, W: 8, C: 3}, func(b *Builder) Value { return b.Input() },
			"graph g: invalid input shape [1 0 8 3]"},
		{"groups do not divide the input", in, func(b *Builder) Value {
			return b.Conv("c", b.Input(), ConvSpec{Out: 8, Kernel: 1, Groups: 4})
		}, "graph g: conv2d c: 6 input channels do not split into 4 groups"},
		{"groups do not divide the output", in, func(b *Builder) Value {
			return b.Conv("c", b.Input(), ConvSpec{Out: 5, Kernel: 1, Groups: 3})
		}, "graph g: conv2d c: 6 input and 5 output channels do not split into 3 groups"},
		{"kernel larger than the input", in, func(b *Builder) Value {
			return b.Conv("c", b.Input(), ConvSpec{Out: 4, Kernel: 9})
		}, "graph g: conv2d c: input [1 8 8 6] is too small for a 9x9 kernel"},
		{"pool window larger than the input", in, func(b *Builder) Value {
			return b.MaxPool("p", b.Input(), 9, 1, 0, false)
		}, "graph g: maxpool p: input [1 8 8 6] is too small for a 9x9 window"},
		{"add of different shapes", in, func(b *Builder) Value {
			return b.Add("a", b.Input(), b.Conv("c", b.Input(), ConvSpec{Out: 4, Kernel: 1}))
		}, "graph g: add a: shapes [1 8 8 6] and [1 8 8 4] differ"},
		{"concat of different sizes", in, func(b *Builder) Value {
			return b.Concat("cat", b.Input(), b.MaxPool("p", b.Input(), 2, 2, 0, false))
		}, "graph g: concat cat: inputs [1 8 8 6] and [1 4 4 6] differ in size"},
		{"concat of nothing", in, func(b *Builder) Value { return b.Concat("cat") },
			"graph g: concat cat: needs at least one input"},
		{"scale of the wrong size", in, func(b *Builder) Value {
			return b.MulChannels("m", b.Input(), b.Input())
		}, "graph g: mul m: scale [1 8 8 6] does not match [1 8 8 6] per channel"},
		{"offsets for too few channels", in, func(b *Builder) Value {
			return b.Shift("s", b.Input(), make([]nn.Offset, 5))
		}, "graph g: shift s: 5 offsets for 6 channels"},
		{"linear on a feature map", in, func(b *Builder) Value { return b.Linear("fc", b.Input(), 3, false) },
			"graph g: linear fc: input [1 8 8 6] must be flat [N 1 1 C]"},
		{"softmax on a feature map", in, func(b *Builder) Value { return b.Softmax("sm", b.Input()) },
			"graph g: softmax sm: input [1 8 8 6] must be flat [N 1 1 C]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := NewBuilder("g", c.input)
			out := c.build(b)
			g, err := b.Finish(out)
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v\nwant  %s", err, c.want)
			}
			if g != nil {
				t.Error("Finish returned a graph with the error")
			}
		})
	}
}

// TestBuilderStopsAtFirstError: after an error every call is a no-op
// returning 0, and Finish reports the first error, not a later one.
func TestBuilderStopsAtFirstError(t *testing.T) {
	b := NewBuilder("g", tensor.Shape{N: 1, H: 4, W: 4, C: 3})
	bad := b.Conv("bad", b.Input(), ConvSpec{Out: 4, Kernel: 1, Groups: 2})
	params := len(b.g.Params)
	for _, v := range []Value{
		bad,
		b.Conv("c", b.Input(), ConvSpec{Out: 4, Kernel: 1}),
		b.BatchNorm("bn", b.Input(), 1e-5),
		b.Linear("fc", b.Input(), 3, true),
		b.Act("relu", b.Input(), nn.ActReLU),
		b.Add("a", b.Input(), b.Input()),
	} {
		if v != 0 {
			t.Errorf("a call after the error returned value %d", v)
		}
	}
	if len(b.g.Nodes) != 0 || len(b.g.Params) != params {
		t.Errorf("%d nodes and %d new params added after the error", len(b.g.Nodes), len(b.g.Params)-params)
	}
	if _, err := b.Finish(0); err == nil || !strings.Contains(err.Error(), "conv2d bad") {
		t.Errorf("Finish: %v, want the first error", err)
	}
}

func TestOpsCheckTheirInputCount(t *testing.T) {
	s := tensor.Shape{N: 1, H: 4, W: 4, C: 2}
	w := &Param{Name: "w", Shape: []int{2, 2, 1, 1}, Data: make([]float32, 4)}
	ops := []Op{
		&Conv2D{Geometry: nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}, Out: 2, Weight: w},
		&BatchNorm{Weight: &Param{Shape: []int{2}}},
		&Activation{Fn: nn.ActReLU6},
		&MaxPool{Geometry: nn.PoolGeometry{KH: 2, KW: 2, StrideH: 2, StrideW: 2}},
		&AvgPool{Geometry: nn.PoolGeometry{KH: 2, KW: 2, StrideH: 2, StrideW: 2}},
		&GlobalAvgPool{},
		&Add{},
		&MulChannels{},
		&Shift{Offsets: make([]nn.Offset, 2)},
		&Linear{Out: 2, Weight: w},
		&Flatten{},
		&Softmax{},
	}
	types := []string{"conv2d", "batchnorm", "relu6", "maxpool", "avgpool", "globalavgpool", "add", "mul", "shift", "linear", "flatten", "softmax"}
	for i, op := range ops {
		if op.Type() != types[i] {
			t.Errorf("op %d is %q, want %q", i, op.Type(), types[i])
		}
		want := 1
		if op.Type() == "add" || op.Type() == "mul" {
			want = 2
		}
		for _, n := range []int{0, want + 1} {
			in := make([]tensor.Shape, n)
			for j := range in {
				in[j] = s
			}
			if _, err := op.OutShape(in); err == nil {
				t.Errorf("%s accepted %d inputs", op.Type(), n)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := func() *Graph {
		return buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3}).g
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		spoil func(g *Graph)
		want  string
	}{
		{"input out of range", func(g *Graph) { g.Input = 99 }, "input value 99 out of range"},
		{"read before produced", func(g *Graph) { g.Nodes[0].Inputs = []Value{5} }, "node 0 (features.0) reads value 5 before it is produced"},
		{"read out of range", func(g *Graph) { g.Nodes[3].Inputs = []Value{-1} }, "node 3 (features.3) reads value -1"},
		{"written twice", func(g *Graph) { g.Nodes[2].Output = 1 }, "node 2 (features.2) writes value 1 twice or out of range"},
		{"output never produced", func(g *Graph) { g.Output = Value(len(g.Shapes)) }, "output value 16 is never produced"},
		{"parameter twice", func(g *Graph) { g.Params = append(g.Params, g.Params[0]) }, "parameter features.0.weight registered twice"},
		{"data of the wrong length", func(g *Graph) { g.Params[1].Data = g.Params[1].Data[:7] }, "parameter features.0.bias has 7 values, shape [8] needs 8"},
	} {
		g := good()
		c.spoil(g)
		err := g.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "graph tiny: ") {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
}

func TestRandomize(t *testing.T) {
	a := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3}).g
	b := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3}).g
	c := buildTestNet(t, tensor.Shape{N: 1, H: 32, W: 32, C: 3}).g
	a.Randomize(7)
	b.Randomize(7)
	c.Randomize(8)
	differ := false
	for i, p := range a.Params {
		if !slices.Equal(p.Data, b.Params[i].Data) {
			t.Errorf("%s differs between two runs with seed 7", p.Name)
		}
		differ = differ || !slices.Equal(p.Data, c.Params[i].Data)
	}
	if !differ {
		t.Error("seeds 7 and 8 give the same parameters")
	}
	inRange := func(name string, lo, hi float32) {
		p, _ := a.Param(name)
		for _, v := range p.Data {
			if v < lo || v > hi {
				t.Errorf("%s holds %v, want %v..%v", name, v, lo, hi)
				return
			}
		}
	}
	inRange("features.1.running_var", 0.5, 1.5)
	inRange("features.1.weight", 0.5, 1.5)
	inRange("features.0.bias", -0.1, 0.1)
	inRange("classifier.bias", -0.1, 0.1)
	// He-normal: standard deviation sqrt(2/fan_in), fan_in = 192.
	w, _ := a.Param("classifier.weight")
	var sum, sq float64
	for _, v := range w.Data {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(w.Data))
	std, want := math.Sqrt(sq/n-(sum/n)*(sum/n)), math.Sqrt(2.0/192)
	if math.Abs(std-want) > 0.1*want {
		t.Errorf("classifier weight std %.4f, want about %.4f", std, want)
	}
}
