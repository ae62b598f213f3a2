package igemm

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/tensor"
)

// Linear is the shared body of the packages' Linear: an int8 fully
// connected layer on [N,1,1,In] tensors, bit for bit q8ref.Linear, on the
// GEMM one tap per row.
type Linear[R any] struct {
	pkg     string
	in, out tensor.Shape
	output  q8ref.Output
	w       []int8   // Ref
	bias    []int32  // Ref
	gemm    *Plan[R] // nil on Ref
}

// NewLinear checks and builds a fully connected layer of weights w
// ([Out][In]) for package pkg: the reference when a is nil. The caller
// has checked the path.
func NewLinear[R any](pkg string, a *Arch[R], w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (*Linear[R], error) {
	if in.H != 1 || in.W != 1 || out != (tensor.Shape{N: in.N, H: 1, W: 1, C: out.C}) {
		return nil, fmt.Errorf("linear: shapes %v -> %v, want [N,1,1,In] -> [N,1,1,Out]", in, out)
	}
	if len(w) != in.C*out.C || len(bias) != out.C {
		return nil, fmt.Errorf("linear: %d weights and %d biases, want %d and %d", len(w), len(bias), in.C*out.C, out.C)
	}
	if err := CheckOutput(o, out.C, 0); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	if err := CheckSize(in); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	l := &Linear[R]{pkg: pkg, in: in, out: out, output: o}
	if a == nil {
		l.w, l.bias = w, bias
		return l, nil
	}
	ind := make([]int32, in.N)
	for n := range ind {
		ind[n] = int32(n * in.C)
	}
	weight := func(_, k, o int) int8 { return w[o*in.C+k] }
	// The zero row is never read: every row is a real input row.
	l.gemm = NewPlan(a, []int32{int32(in.C)}, ind, out.C, weight, bias, 0, o)
	return l, nil
}

// Run computes dst from src.
func (l *Linear[R]) Run(dst, src *tensor.Int8) {
	CheckTensors(l.pkg, "Linear", dst, src, l.out, l.in)
	if l.gemm == nil {
		q8ref.Linear(dst, src, l.w, l.bias, l.output)
		return
	}
	l.gemm.Run(dst.Data, src.Data, 0, l.in.N)
}
