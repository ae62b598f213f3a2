// Package qnet is an int8 model: the quantized graph neonet's firmware
// runs, and its reference executor.
//
// A Model is self-contained: int8 tensors with their scale and zero point,
// nodes in execution order with int8 weights (symmetric per output
// channel), int32 biases and 256-entry lookup tables, plus the class labels
// and the input preprocessing. It is produced by quant/ptq from a float
// model and saved to one file by package modelfile.
//
// Compile prepares a Model for running (the float32 requantization
// multipliers, the clamp bounds, every buffer); Program.Run then calls the
// reference kernels of kernels/q8 and allocates nothing. It is the bit-exact
// specification optimized kernels are tested against.
package qnet
