// Package nn is the vocabulary every layer of neonet shares: a
// convolution's and a pooling window's geometry, the activations an op can
// fuse, and the offsets of a shift. It holds definitions only, no kernels,
// so that the model description (graph), the float and int8 kernels, the
// int8 executor and the model file all speak of the same things without
// depending on one another.
package nn
