package ptq

import (
	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
)

// gainTerm is part of how much an error in each channel of a tensor
// matters: the squared norms of the weights through which it reaches the
// outputs of the next convolution or linear layer, multiplied, per image,
// by the square of a squeeze-and-excitation gate's channel when the error
// passes through that gate's multiply.
type gainTerm struct {
	w    []float64
	gate graph.Value // -1: none
}

// channelGains finds, for every value of the lowered model, the terms of
// its channels' gains (see gainTerm). A value with none (the logits, the
// pooled squeeze-and-excitation inputs) is ranged unweighted.
func channelGains(layers []*engine.Layer) map[graph.Value][]gainTerm {
	readers := map[graph.Value][]*engine.Layer{}
	for _, l := range layers {
		for _, v := range l.Inputs {
			readers[v] = append(readers[v], l)
		}
	}
	memo := map[graph.Value][]gainTerm{}
	var gains func(v graph.Value) []gainTerm
	gains = func(v graph.Value) []gainTerm {
		if t, ok := memo[v]; ok {
			return t
		}
		var terms []gainTerm
		for _, r := range readers[v] {
			switch op := r.Node.Op.(type) {
			case *graph.Conv2D:
				terms = append(terms, gainTerm{w: convColumnNorms(r.Weight, op.Out, op.Geometry.Groups, op.Geometry.KH*op.Geometry.KW, len(r.Weight)/(op.Out*op.Geometry.KH*op.Geometry.KW)*op.Geometry.Groups), gate: -1})
			case *graph.Linear:
				terms = append(terms, gainTerm{w: convColumnNorms(r.Weight, op.Out, 1, 1, len(r.Weight)/op.Out), gate: -1})
			case *graph.Activation, *graph.Add:
				terms = append(terms, gains(r.Output)...)
			case *graph.MulChannels:
				if r.Inputs[0] == v {
					for _, t := range gains(r.Output) {
						if t.gate < 0 {
							t.gate = r.Inputs[1]
						}
						terms = append(terms, t)
					}
				}
			}
		}
		memo[v] = terms
		return terms
	}
	for _, l := range layers {
		gains(l.Output)
	}
	return memo
}

// convColumnNorms returns, for each of cin input channels, the sum of the
// squares of the weights (OIHW, taps per input) that read it.
func convColumnNorms(w []float32, out, groups, taps, cin int) []float64 {
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
