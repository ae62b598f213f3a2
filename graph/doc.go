// Package graph is neonet's model description: a list of operations over
// NHWC tensors, in execution order, and the named parameters they read.
//
// A Graph says what a model computes, not how: it keeps PyTorch's parameter
// names and layouts (a convolution's weight is "features.3.squeeze.weight",
// shaped [Cout][Cin/groups][KH][KW]) so checkpoints load by name and a
// summary lists exactly what torchvision's named_parameters() lists. The
// engine package compiles a Graph into something fast to run.
//
// Models are written with a Builder, which checks shapes as each op is
// added, so a mistake in a model definition is reported where it is made.
package graph
