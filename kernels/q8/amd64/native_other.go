//go:build !amd64 || purego

package amd64

const native = false
