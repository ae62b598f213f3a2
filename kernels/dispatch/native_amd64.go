//go:build amd64 && !purego

package dispatch

const neonNative, avx2Native = false, true
