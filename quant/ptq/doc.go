// Package ptq is neonet's post-training quantization: it runs a float
// model over calibration images to learn the range of every activation,
// then converts the model to int8 (a qnet.Model) following the scheme of
// package quant.
//
// The conversion works on the compiled float layers (batch norm already
// folded into convolutions, ReLU and ReLU6 fused) so that every float
// layer becomes exactly one int8 op and each int8 tensor has a float
// counterpart to be compared with. SiLU and sigmoid are kept as separate
// layers: their inputs are quantized and the function becomes a 256-entry
// lookup table. Data movement (max pooling, shift, flatten) keeps its
// input's parameters, and a concatenation gives its parameters to the
// layers that feed it when nothing else reads them, so a Fire module's
// concat is a plain copy.
//
// Activation ranges are chosen per tensor for the error they cause
// downstream: during calibration each channel of a tensor is weighted by
// how strongly its rounding error reaches the outputs of the next
// convolution or linear layer that mixes channels, through the depthwise
// filters, activation slopes and squeeze-and-excitation gates in between
// (gains.go).
package ptq
