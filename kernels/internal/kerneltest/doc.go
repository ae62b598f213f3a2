// Package kerneltest holds the test fixtures and helpers that the tests of
// kernels/amd64 and kernels/arm64 share: guarded output buffers, random
// tensors and requantization parameters, byte comparisons, shift offsets
// and the shapes and geometries the pool tests sweep.
package kerneltest
