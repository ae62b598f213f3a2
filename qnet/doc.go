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
// multipliers, the clamp bounds, one activation arena planned from tensor
// lifetimes, weights packed for the kernel path) on the path
// kernels/dispatch selects: the readable reference kernels of kernels/q8ref,
// the bit-exact specification, or the NEON (kernels/q8/arm64) and AVX2
// (kernels/q8/amd64) kernels, which give the same bytes. Big layers are split
// over a persistent pool of worker threads (internal/workers):
// convolutions by output pixels, depthwise convolutions and unpadded pools
// by output rows, lookup tables, adds and channel multiplies by values;
// Program.Run allocates nothing.
//
// # Ops
//
// Each op type has one file, op_NAME.go, with everything about it: its
// struct, its Kind, the fields a model file stores (Op.Fields, in the
// qnet.Fields vocabulary that package modelfile implements), its checks
// (check, which Model.Validate calls: the one validation of a model, for
// files and for models made in memory alike), its multiply-accumulates,
// and its step on the reference kernels and on the optimized ones, each
// prepared once by Compile as a closure that Run calls. The table opTypes
// in ops.go lists every op under its name in model files. What spans
// several ops is planned in fusion.go before any op prepares its step: a
// shift folded into the 1x1 convolution that reads it, the channel order
// that suits the fused kernel, and convolutions writing straight into a
// concatenation.
package qnet
