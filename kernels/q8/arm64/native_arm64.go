//go:build arm64 && !purego

package arm64

const native = true
