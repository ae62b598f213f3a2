//go:build !(arm64 || amd64) || purego

package dispatch

const neonNative, avx2Native = false, false
