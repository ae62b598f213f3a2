// Package amd64 holds neonet's optimized int8 kernels for x86-64: AVX2
// assembly for development PCs and x86 edge boxes, with the same API as
// kernels/q8/arm64 (NewConv, NewLinear, NewShiftConv, NewDepthwise, the pools,
// Add, MulChannels, LookupTable).
//
// Every assembly function has a pure-Go twin with the same signature
// (build tags "amd64 && !purego" for the assembly, the complement for the
// twin), so the packing and tiling logic runs and is tested on every
// machine, and every kernel is bit-exact to the readable reference in
// kernels/q8ref.
//
// Convolutions (groups == 1), fully connected layers and shifts fused into
// the following 1x1 convolution run one indirect GEMM,
// gemm_s8_4x8c4_fp32_avx2: weights packed once as int16, an indirection
// buffer of input offsets per output pixel and tap (padding reads a row of
// zero points), products by VPMADDWD into int32 and requantization in the
// epilogue. Kernel names follow kernels/q8/NAMING.md;
// docs/kernels-amd64.md has the design, packed layouts, register use,
// the exactness argument of each requantization step and benchmarks.
package amd64
