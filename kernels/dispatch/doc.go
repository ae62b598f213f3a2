// Package dispatch is neonet's one table of kernel paths: the pure-Go
// reference, the two arm64 NEON paths and the amd64 AVX2 path. The fastest
// path the CPU supports is chosen at run time from golang.org/x/sys/cpu,
// and the NEONET_KERNELS environment variable overrides the choice (tests
// force each path).
//
// Every optimized path has pure-Go twins of its assembly, built where the
// assembly is not (another architecture, or the purego tag): there every
// path is supported and runs the twins, so the packing and tiling logic of
// each path is tested on any machine.
package dispatch
