// Package amd64 holds neonet's int8 microkernels for x86-64: AVX2
// assembly for development PCs and x86 edge boxes, exported as the kernel
// set AVX2, which the operators of kernels/q8 run and kernels/dispatch
// chooses.
//
// Every assembly function has a pure-Go twin with the same signature
// (build tags "amd64 && !purego" for the assembly, the complement for the
// twin), so the packing and tiling logic runs and is tested on every
// machine, and every kernel is bit-exact to the readable reference in
// kernels/q8ref.
//
// Convolutions (groups == 1), fully connected layers and shifts fused into
// the following 1x1 convolution run one indirect GEMM, with two
// microkernels: gemm_s8_6x16c2_fp32_avx2, which gathers its rows into an
// int16 panel, and gemm_s8_4x8c4_fp32_avx2 for deeper layers; weights are
// packed once as int16 (gemmPack), products come from VPMADDWD into int32
// and requantization is in the epilogue. Kernel names follow
// kernels/q8/NAMING.md (isa "avx2"); docs/kernels-amd64.md has the
// design, packed layouts, register use, the exactness argument of each
// requantization step and benchmarks. avx2_amd64.h holds the macros the
// assembly shares: argument loads, the int16 multiply-accumulate and the
// requantization epilogue.
package amd64
