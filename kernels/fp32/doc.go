// Package fp32 is neonet's reference implementation of every operation a
// model can contain, in plain Go over NHWC float32 tensors.
//
// These functions are the specification: they are written to be read, with
// loops in the order a person would write them and no tricks beyond keeping
// the innermost loop on contiguous memory. Optimized kernels elsewhere in the
// tree (int8, NEON, AVX2) are tested against them.
//
// Conventions shared by every kernel:
//   - dst is allocated by the caller with the shape the op produces (see the
//     OutSize helpers); kernels never allocate, so a compiled model can run
//     frame after frame without garbage.
//   - Convolution weights are packed once, at compile time, from PyTorch's
//     OIHW layout into [KH][KW][Cin/groups][Cout] (PackConvWeights), so the
//     innermost loop runs over output channels in memory order.
//   - An optional activation is applied to each output as it is written
//     ("fused"), which is exactly the same arithmetic as a separate pass.
package fp32
