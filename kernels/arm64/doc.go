// Package arm64 holds neonet's optimized int8 kernels for 64-bit Arm:
// NEON assembly in two flavours, an ARMv8.0 path (SMULL/SMLAL/SADALP) for
// Cortex-A72 and A57 (Raspberry Pi 4, Jetson Nano) and an ARMv8.2
// dot-product path (SDOT) for Cortex-A76 and A78 (Raspberry Pi 5, Jetson
// Orin).
//
// Every assembly function has a pure-Go twin with the same signature
// (build tags "arm64 && !purego" for the assembly, the complement for the
// twin), so the packing and tiling logic runs and is tested on every
// machine, and every kernel is bit-exact to the readable reference in
// kernels/q8.
//
// The path is chosen at run time from golang.org/x/sys/cpu (see Select),
// overridable with the NEONET_KERNELS environment variable.
package arm64
