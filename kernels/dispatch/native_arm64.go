//go:build arm64 && !purego

package dispatch

const neonNative, avx2Native = true, false
