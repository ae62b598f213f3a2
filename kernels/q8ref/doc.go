// Package q8ref is the reference implementation of neonet's int8 operations:
// plain Go loops over NHWC int8 tensors, written to be read, that define
// bit for bit what every optimized int8 kernel (NEON, dot product, AVX2)
// must compute. All rounding goes through quant.Requantize, the one
// requantization scheme.
//
// Conventions:
//   - A tensor's real value is scale * (q - zero); kernels receive the zero
//     points and the float32 multipliers (ratios of scales) they need,
//     precomputed when the model was quantized.
//   - Convolution weights are int8, symmetric per output channel, packed
//     [KH][KW][Cin/groups][Cout] like the float kernels; the int32 bias has
//     the input zero-point correction folded in:
//     bias[o] = round(b[o] / (sIn*sW[o])) - zIn * sum(w[o]).
//     Taps in the zero padding then read zIn (real 0), and the folded term
//     cancels them exactly.
//   - Kernels never allocate; scratch space is passed in.
package q8ref
