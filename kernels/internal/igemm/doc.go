// Package igemm is the architecture-independent part of the indirect-GEMM
// layers of kernels/q8/amd64 and kernels/q8/arm64 (Conv, Linear, ShiftConv): the
// indirection buffers, the interior-column split, the shift runs, argument
// checking, the reference fallbacks and the splitting of row ranges into
// microkernel calls. What differs per architecture (the microkernel, the
// packed-weight layout and its packing, the K step, rows per call) comes
// in an Arch.
package igemm
