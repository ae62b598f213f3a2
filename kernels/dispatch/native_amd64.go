//go:build amd64 && !purego

package dispatch

// avx2Native turns true when kernels/amd64 has its AVX2 assembly.
const neonNative, avx2Native = false, false
