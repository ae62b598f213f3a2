// Package dispatch is neonet's one table of kernel paths: the pure-Go
// reference, the two arm64 NEON paths and the amd64 AVX2 path, each with
// its int8 microkernels (Q8Kernels: the sets of kernels/q8/arm64 and
// kernels/q8/amd64, which the operators of kernels/q8 run). The fastest
// path the CPU supports is chosen at run time from golang.org/x/sys/cpu,
// and the NEONET_KERNELS environment variable overrides the choice (tests
// force each path).
//
// Every optimized path has pure-Go twins of its assembly, built where the
// assembly is not (another architecture, or the purego tag): there every
// path is supported and runs the twins, so the packing and tiling logic of
// each path is tested on any machine.
package dispatch
