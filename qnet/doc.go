// Package qnet is an int8 model: the quantized graph neonet's firmware
// runs, and its reference executor.
//
// A Model is self-contained: int8 tensors with their scale and zero point,
// nodes in execution order with int8 weights (symmetric per output
// channel), int32 biases and 256-entry lookup tables, plus the class labels
// and the input preprocessing. It is produced by quant/ptq from a float
// model and saved to one file by package modelfile.
//
// Compile prepares a Model for running (the float32 requantization
// multipliers, the clamp bounds, one activation arena planned from tensor
// lifetimes, weights packed for the kernel path) on the path
// kernels/dispatch selects: the readable reference kernels of kernels/q8ref,
// the bit-exact specification, or the NEON (kernels/q8/arm64) and AVX2
// (kernels/q8/amd64) kernels, which give the same bytes. Big layers are split
// over a persistent pool of worker threads (internal/workers):
// convolutions by output pixels, depthwise convolutions and unpadded pools
// by output rows, lookup tables, adds and channel multiplies by values;
// Program.Run allocates nothing.
package qnet
