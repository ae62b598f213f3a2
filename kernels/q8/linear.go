package q8

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/tensor"
)

// Linear is an int8 fully connected layer on [N,1,1,In] tensors,
// equivalent bit for bit to q8ref.Linear. With a kernel set it is the GEMM
// of Conv with one tap per row: the weights ([Out][In]) are packed once,
// and each batch row is one GEMM row. Run allocates nothing and, with a
// set, may run concurrently with itself.
type Linear struct {
	in, out tensor.Shape
	output  q8ref.Output
	w       []int8   // reference
	bias    []int32  // reference
	gemm    gemmPlan // nil on the reference
}

// NewLinear builds a fully connected layer of weights w ([Out][In]) with
// the input zero-point correction folded into bias, on the kernels k (nil:
// the reference).
func NewLinear(k *Kernels, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (*Linear, error) {
	if in.H != 1 || in.W != 1 || out != (tensor.Shape{N: in.N, H: 1, W: 1, C: out.C}) {
		return nil, fmt.Errorf("linear: shapes %v -> %v, want [N,1,1,In] -> [N,1,1,Out]", in, out)
	}
	if len(w) != in.C*out.C || len(bias) != out.C {
		return nil, fmt.Errorf("linear: %d weights and %d biases, want %d and %d", len(w), len(bias), in.C*out.C, out.C)
	}
	if err := checkOutput(o, out.C, 0); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	if err := checkSize(in); err != nil {
		return nil, fmt.Errorf("linear: %w", err)
	}
	l := &Linear{in: in, out: out, output: o}
	if k == nil {
		l.w, l.bias = w, bias
		return l, nil
	}
	ind := make([]int32, in.N)
	for n := range ind {
		ind[n] = int32(n * in.C)
	}
	weight := func(_, k, o int) int8 { return w[o*in.C+k] }
	// The zero row is never read: every row is a real input row.
	l.gemm = k.GEMM.plan([]int32{int32(in.C)}, ind, out.C, weight, bias, 0, o)
	return l, nil
}

// Run computes dst from src.
func (l *Linear) Run(dst, src *tensor.Int8) {
	checkTensors("Linear", dst, src, l.out, l.in)
	if l.gemm == nil {
		q8ref.Linear(dst, src, l.w, l.bias, l.output)
		return
	}
	l.gemm.run(dst.Data, src.Data, 0, l.in.N, l.out.C, 0)
}
