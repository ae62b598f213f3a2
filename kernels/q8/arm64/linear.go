package arm64

import (
	"neonet.dev/neonet/kernels/internal/igemm"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/tensor"
)

// Linear is an int8 fully connected layer on [N,1,1,In] tensors,
// equivalent bit for bit to q8ref.Linear. On the NEON paths it is the GEMM of
// Conv with one tap per row: the weights ([Out][In]) are packed once, and
// each batch row is one GEMM row. Run allocates nothing and may run
// concurrently with itself on the NEON paths.
type Linear struct {
	l *igemm.Linear[gemmClamp]
}

// NewLinear builds a fully connected layer of weights w ([Out][In]) with
// the input zero-point correction folded into bias.
func NewLinear(p Path, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (*Linear, error) {
	if err := convCheckPath(p); err != nil {
		return nil, err
	}
	l, err := igemm.NewLinear("arm64", gemmArchs[p], w, bias, in, out, o)
	if err != nil {
		return nil, err
	}
	return &Linear{l}, nil
}

// Run computes dst from src.
func (l *Linear) Run(dst, src *tensor.Int8) { l.l.Run(dst, src) }
