package fp32

import "neonet.dev/neonet/nn"

// applyAll applies a to every value of v in place.
func applyAll(a nn.Activation, v []float32) {
	if a == nn.ActNone {
		return
	}
	for i, x := range v {
		v[i] = a.Apply(x)
	}
}

// Activate writes act(src) to dst; dst and src may be the same slice.
func Activate(dst, src []float32, act nn.Activation) {
	copy(dst, src)
	applyAll(act, dst[:len(src)])
}
