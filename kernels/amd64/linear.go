package amd64

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

// Linear is an int8 fully connected layer on [N,1,1,In] tensors,
// equivalent bit for bit to q8.Linear. On the AVX2 path it is the GEMM of
// Conv with one tap per row: the weights ([Out][In]) are packed once, and
// each batch row is one GEMM row. Run allocates nothing and may run
// concurrently with itself on the AVX2 path.
type Linear struct {
	path    Path
	in, out tensor.Shape
	output  q8.Output
	w       []int8  // Ref
	bias    []int32 // Ref
	gemm    *gemmPlan
}

// NewLinear builds a fully connected layer of weights w ([Out][In]) with
// the input zero-point correction folded into bias.
func NewLinear(p Path, w []int8, bias []int32, in, out tensor.Shape, o q8.Output) (*Linear, error) {
	if err := convCheckPath(p); err != nil {
		return nil, err
	}
	if in.H != 1 || in.W != 1 || out != (tensor.Shape{N: in.N, H: 1, W: 1, C: out.C}) {
		return nil, fmt.Errorf("linear: shapes %v -> %v, want [N,1,1,In] -> [N,1,1,Out]", in, out)
	}
	if len(w) != in.C*out.C || len(bias) != out.C {
		return nil, fmt.Errorf("linear: %d weights and %d biases, want %d and %d", len(w), len(bias), in.C*out.C, out.C)
	}
	if err := convCheckOutput(o, out.C, 0); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	if err := convCheckSize(in); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	l := &Linear{path: p, in: in, out: out, output: o}
	if p == Ref {
		l.w, l.bias = w, bias
		return l, nil
	}
	ind := make([]int32, in.N)
	for n := range ind {
		ind[n] = int32(n * in.C)
	}
	weight := func(_, k, o int) int8 { return w[o*in.C+k] }
	// The zero row is never read: every row is a real input row.
	l.gemm = newGemmPlan([]int32{int32(in.C)}, ind, out.C, weight, bias, 0, convOutput{o})
	return l, nil
}

// Run computes dst from src.
func (l *Linear) Run(dst, src *tensor.Int8) {
	convCheckTensors("Linear", dst, src, l.out, l.in)
	if l.path == Ref {
		q8.Linear(dst, src, l.w, l.bias, l.output)
		return
	}
	l.gemm.run(dst.Data, src.Data, 0, l.in.N)
}
