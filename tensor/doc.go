// Package tensor holds neonet's activation tensors: dense float32 arrays in
// NHWC order (batch, height, width, channels), the layout every kernel of the
// engine reads and writes. Channels are innermost so that a pixel's channels
// are contiguous: 1x1 convolutions become matrix products over rows of
// pixels, and concatenation along channels is a strided copy.
package tensor
