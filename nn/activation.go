package nn

import (
	"fmt"
	"math"
)

// Activation is an element-wise function applied to an op's output.
type Activation int

const (
	ActNone    Activation = iota // identity
	ActReLU                      // max(x, 0)
	ActReLU6                     // min(max(x, 0), 6)
	ActSiLU                      // x * sigmoid(x), also called swish
	ActSigmoid                   // 1 / (1 + exp(-x))
)

var activationNames = [...]string{"none", "relu", "relu6", "silu", "sigmoid"}

func (a Activation) String() string {
	if a >= 0 && int(a) < len(activationNames) {
		return activationNames[a]
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// Apply evaluates the activation at x. Transcendentals are computed in
// float64 and rounded once, so the result is the correctly rounded float32
// of the real function in nearly every case.
func (a Activation) Apply(x float32) float32 {
	switch a {
	case ActReLU:
		return max(x, 0)
	case ActReLU6:
		return min(max(x, 0), 6)
	case ActSiLU:
		v := float64(x)
		return float32(v / (1 + math.Exp(-v)))
	case ActSigmoid:
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	return x
}
