package ptq

import (
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
)

// QuantizeLinear quantizes a fully connected layer: weights w ([out][in],
// row-major) to int8 with one symmetric scale per output, the bias to int32
// in the input's parameters with the zero-point correction folded in. mean,
// if not nil, is the mean of each input and corrects the bias for the
// rounding of the weights (see Calibrator.BiasCorrection). act is the
// clamp fused into the output (none, ReLU or ReLU6).
func QuantizeLinear(w, bias []float32, out int, in quant.Params, act nn.Activation, mean []float64) *qnet.Linear {
	scales := quant.WeightScales(w, out)
	wq := quantizeWeights(w, scales)
	bias = correctBias(bias, w, wq, scales, 1, mean)
	return &qnet.Linear{Out: out, Weights: wq, WeightScales: scales, Bias: quantizeBias(bias, wq, scales, in), Act: act}
}
