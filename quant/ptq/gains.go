package ptq

import (
	"math"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/tensor"
)

// gains computes, for one image, how much an error in each channel of each
// value matters: the squared error it causes at the outputs of the next
// layers that mix channels (convolutions other than depthwise ones, and
// linear layers), the outputs of the block it belongs to. An error in
// channel c reaches such a layer through the squared norm of the weights
// that read c, and on its way there through every channel-wise layer:
// a depthwise convolution multiplies it by the squared norm of channel c's
// filter (an unfolded batch norm by the square of c's scale), an
// element-wise function by the mean of its squared slope at this image's
// values of c, a squeeze-and-excitation multiply by the square of c's gate, a global average pool divides it by the pixel count
// (as independent rounding errors average out), and residual adds,
// pooling, shifts and concatenations pass it on. A value no mixing layer
// reads (the logits) has no gains and is ranged unweighted.
type gains struct {
	layers  []*engine.Layer
	shape   func(graph.Value) tensor.Shape
	value   func(graph.Value) *tensor.Tensor
	readers map[graph.Value][]*engine.Layer
	static  map[*engine.Layer][]float64 // per input channel: squared norms of a layer's weights
	g       map[graph.Value][]float64   // this image's gains; nil: none
}

func newGains(layers []*engine.Layer, shape func(graph.Value) tensor.Shape, value func(graph.Value) *tensor.Tensor) *gains {
	k := &gains{layers: layers, shape: shape, value: value, readers: map[graph.Value][]*engine.Layer{},
		static: map[*engine.Layer][]float64{}, g: map[graph.Value][]float64{}}
	for _, l := range layers {
		for _, v := range l.Inputs {
			k.readers[v] = append(k.readers[v], l)
		}
		cin := 0
		if len(l.Inputs) > 0 {
			cin = shape(l.Inputs[0]).C
		}
		switch op := l.Node.Op.(type) {
		case *graph.Conv2D:
			geo := op.Geometry
			k.static[l] = columnNorms(l.Weight, op.Out, geo.Groups, geo.KH*geo.KW, cin)
		case *graph.Linear:
			k.static[l] = columnNorms(l.Weight, op.Out, 1, 1, cin)
		case *graph.BatchNorm:
			w := make([]float64, cin)
			for i, s := range l.Scale {
				w[i] = float64(s) * float64(s)
			}
			k.static[l] = w
		}
	}
	return k
}

// channelWise reports whether a convolution maps each channel to itself
// (depthwise), so that an error passes through it to the next layer.
func channelWise(l *engine.Layer, cin int) bool {
	conv, ok := l.Node.Op.(*graph.Conv2D)
	return ok && conv.Geometry.Groups == cin && conv.Out == cin
}

// update computes the gains for the image the float program holds.
func (k *gains) update() {
	for i := len(k.layers) - 1; i >= 0; i-- {
		k.compute(k.layers[i].Output)
	}
	k.compute(k.inputOf())
}

func (k *gains) inputOf() graph.Value {
	return k.layers[0].Inputs[0]
}

// compute sets the gains of v from those of its readers' outputs, which
// come later and are computed first.
func (k *gains) compute(v graph.Value) {
	c := k.shape(v).C
	g := k.g[v]
	if g == nil {
		g = make([]float64, c)
		k.g[v] = g
	}
	clear(g)
	any := false
	add := func(w []float64, factor func(i int) float64) {
		if w == nil {
			return
		}
		any = true
		for i := range g {
			g[i] += w[i] * factor(i)
		}
	}
	one := func(int) float64 { return 1 }
	for _, r := range k.readers[v] {
		out := k.g[r.Output]
		switch r.Node.Op.(type) {
		case *graph.Conv2D, *graph.BatchNorm:
			if _, bn := r.Node.Op.(*graph.BatchNorm); bn || channelWise(r, c) {
				if out != nil {
					add(k.static[r], func(i int) float64 { return out[i] })
				}
				continue
			}
			add(k.static[r], one)
		case *graph.Linear:
			add(k.static[r], one)
		case *graph.Activation:
			if out != nil {
				slope := meanSquaredSlope(r, k.value(v))
				add(out, func(i int) float64 { return slope[i] })
			}
		case *graph.Add, *graph.MaxPool, *graph.AvgPool, *graph.Shift:
			add(out, one)
		case *graph.GlobalAvgPool:
			in := k.shape(v)
			add(out, func(int) float64 { return 1 / float64(in.H*in.W) })
		case *graph.MulChannels:
			if r.Inputs[0] == v {
				gate := k.value(r.Inputs[1]).Data
				add(out, func(i int) float64 { return float64(gate[i]) * float64(gate[i]) })
			}
		case *graph.Concat:
			if out == nil {
				continue
			}
			from := 0
			for _, in := range r.Inputs {
				if in == v {
					break
				}
				from += k.shape(in).C
			}
			add(out[from:from+c], one)
		case *graph.Flatten:
			if out == nil {
				continue
			}
			in := k.shape(v)
			folded := make([]float64, c)
			for i, x := range out { // PyTorch's order: channel-major
				folded[i/(in.H*in.W)] += x
			}
			add(folded, one)
		}
	}
	if !any {
		k.g[v] = nil
	}
}

// observed returns the weights v's histogram is built with: the gains of a
// lookup table's output when that table is v's only reader (the range is
// then chosen for the error after the function, see
// calib.Observer.RangeThrough), else v's own; nil if v has none.
func (k *gains) observed(v graph.Value) []float64 {
	if rs := k.readers[v]; len(rs) == 1 {
		if _, ok := rs[0].Node.Op.(*graph.Activation); ok {
			return k.g[rs[0].Output]
		}
	}
	return k.g[v]
}

// meanSquaredSlope returns, per channel, the mean over the pixels of x of
// the squared derivative of layer l's activation.
func meanSquaredSlope(l *engine.Layer, x *tensor.Tensor) []float64 {
	c := x.Shape.C
	s := make([]float64, c)
	for i, v := range x.Data {
		d := slope(l.Act.String(), float64(v))
		s[i%c] += d * d
	}
	n := float64(len(x.Data) / c)
	for i := range s {
		s[i] /= n
	}
	return s
}

// slope is the derivative of the named activation.
func slope(act string, x float64) float64 {
	switch act {
	case "silu":
		sg := 1 / (1 + math.Exp(-x))
		return sg * (1 + x*(1-sg))
	case "sigmoid":
		sg := 1 / (1 + math.Exp(-x))
		return sg * (1 - sg)
	case "relu":
		if x > 0 {
			return 1
		}
		return 0
	case "relu6":
		if x > 0 && x < 6 {
			return 1
		}
		return 0
	}
	return 1
}

// columnNorms returns, for each of cin input channels, the sum of the
// squares of the weights (grouped by output channel, taps consecutive per
// input: OIHW or [Out][In]) that read it.
func columnNorms(w []float32, out, groups, taps, cin int) []float64 {
	cinG, coutG := cin/groups, out/groups
	norms := make([]float64, cin)
	for o := range out {
		first := (o / coutG) * cinG
		for i := range cinG {
			for k := range taps {
				x := float64(w[(o*cinG+i)*taps+k])
				norms[first+i] += x * x
			}
		}
	}
	return norms
}
