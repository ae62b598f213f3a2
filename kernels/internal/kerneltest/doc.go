// Package kerneltest holds the test fixtures and helpers that the tests of
// kernels/q8/amd64 and kernels/q8/arm64 share: guarded output buffers, random
// tensors and requantization parameters, byte comparisons, shift offsets
// and the shapes and geometries the pool tests sweep.
package kerneltest
