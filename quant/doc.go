// Package quant is neonet's int8 quantization scheme, written once: how a
// real number maps to an int8 and back, how int32 accumulators are brought
// back to int8 (requantization), and how non-linear functions become
// 256-entry lookup tables. Every int8 kernel, reference or optimized,
// computes exactly what these functions define; docs/quantization.md derives
// them step by step.
//
// The scheme, in brief (real = scale * (q - zero)):
//   - activations: int8 in [-128, 127], one scale and zero point per tensor
//     (asymmetric), chosen so that real 0 is exactly representable;
//   - weights: int8 in [-127, 127], zero point 0, one scale per output
//     channel (symmetric per channel);
//   - biases: int32 with scale input_scale * weight_scale[channel], zero 0;
//   - requantization "fp32-rne": the int32 accumulator is converted to
//     float32, multiplied by a float32 multiplier, rounded to the nearest
//     integer with ties to even, offset by the output zero point and
//     clamped (Requantize).
package quant
