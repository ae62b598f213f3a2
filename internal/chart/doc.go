// Package chart renders horizontal bar charts to PNG for per-layer reports:
// quantization error (SQNR in dB per layer, weak layers highlighted against a
// threshold line) and benchmark profiles (milliseconds per layer/kernel).
//
// One bar per row, top to bottom in input order, so the chart reads like the
// layer list of the model. The image height grows with the number of bars
// (about 14 px each) so that even ~250-layer models keep legible labels.
//
// Rendering uses gonum.org/v1/plot with its embedded Liberation fonts: it is
// pure Go (builds with CGO_ENABLED=0) and needs no system fonts.
package chart
