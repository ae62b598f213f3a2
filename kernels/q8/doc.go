// Package q8 holds neonet's optimized int8 operators, written once for
// every kernel path: Conv, Linear and ShiftConv on an indirect GEMM,
// Depthwise, the pools, Add, MulChannels and LookupTable. Each is bit for
// bit the readable reference in kernels/q8ref.
//
// What differs between paths is a set of microkernels (Kernels): the
// assembly of kernels/q8/arm64 (NEON, NEON dot product) and
// kernels/q8/amd64 (AVX2), or their pure-Go twins where the assembly is not
// built. Every operator takes the set it runs; a nil set runs the
// reference. The operators do everything else: argument checks, the
// indirection buffers of the GEMM, the interior-column split, the shift
// runs, the depthwise offset tables, pooling windows, channel and value
// tails, splitting ranges into microkernel calls. kernels/dispatch holds
// the table of paths and their sets, and picks one for the CPU.
//
// Layers are built once (weights packed for the set's microkernels) and
// run without allocating. The portable loops of portable.go
// (MaxPoolWindowGo and the others) are what the operators run where a
// microkernel does not apply (fewer than 16 channels, large windows), and
// what the arch packages' Go twins run.
package q8
