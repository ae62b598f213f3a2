// Package kerneltest holds the test fixtures of the int8 kernels: guarded
// output buffers, random tensors, layers and requantization parameters,
// byte comparisons, shift offsets and the shapes and geometries the pool
// tests sweep. The tests of kernels/q8 (every operator on every kernel
// path) and the arch packages' own tests use them.
package kerneltest
