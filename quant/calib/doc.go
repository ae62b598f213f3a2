// Package calib turns the float32 activations observed for one tensor during
// calibration into the clipping range [lo, hi] used for asymmetric per-tensor
// int8 quantization:
//
//	scale      = (hi - lo) / 255
//	zero_point = clamp(round(-128 - lo/scale), -128, 127)
//	real       = scale * (q - zero_point),  q in [-128, 127]
//
// Every range returned satisfies lo <= 0 <= hi, so real 0 maps exactly to
// zero_point (padding and ReLU zeros stay exact), and lo < hi. A tensor
// that was only ever 0 gets the tiny range [0, 1e-6].
//
// # Streaming histogram
//
// An Observer keeps the exact running min/max, a count, and a 4096-bin
// histogram whose bin edges are integer multiples of a power-of-two width w;
// the histogram window always contains 0. When new values fall outside the
// window, w is doubled as often as needed and old bins are merged (bin k
// moves to k>>d) and the window re-centred. Because the edges are aligned, a
// merged histogram is bit-for-bit the histogram that would have been built at
// the coarser width from the start: re-binning itself introduces no error.
// The approximation is only resolution: the observed range, widened to 0,
// always covers at least 2048 bins (between half and all of the window), and
// early data are kept only at the final, coarser resolution. Memory is fixed
// (two 4096-entry count arrays) regardless of how many values are observed,
// and the same sequence of Observe calls always gives identical state.
// Non-finite values (NaN, ±Inf) are ignored and not counted.
//
// # Methods
//
//   - MinMax: the observed extremes, widened to include 0. No clipping; exact.
//   - Percentile: the Observer.Percentile (default 99.99%) upper quantile
//     and the 100-Percentile lower quantile, read from the histogram with
//     linear interpolation inside a bin. Robust to a few outliers, but the
//     amount trimmed does not depend on how heavy the tail is.
//   - MSE: the range minimising the expected squared error of quantize-then-
//     dequantize, clipping error plus rounding error, modelled exactly for the
//     256-level grid (including zero_point rounding) with values spread
//     uniformly inside each histogram bin. One-sided tensors (all >= 0, e.g.
//     after ReLU; or all <= 0) keep the zero end fixed and search the other;
//     two-sided tensors first shrink lo and hi together, then refine hi and
//     lo separately. Each 1-D search is a 128-point grid followed by a finer
//     grid around the best point.
//   - KL: TensorRT-style entropy calibration adapted to asymmetric ranges.
//     A candidate range is a span of whole histogram bins [a, b) containing 0
//     and at least 256 bins wide. The reference P is the histogram on [a, b)
//     with the mass outside folded into the two edge bins; the candidate Q is
//     the unclipped histogram on [a, b) with its bins grouped into the 256
//     quantization levels (each bin joins the level nearest its centre) and
//     each level's mass spread evenly over its non-empty bins. The range with
//     the smallest KL(P||Q) wins; the search over (a, b) is the same as for
//     MSE (bins instead of values). TensorRT's original is the one-sided
//     special case with |x| and 128 levels.
//   - Auto: see Observer.Choose.
//
// A tensor read only by a lookup-table activation (SiLU, sigmoid) is ranged
// with Observer.RangeThrough: MSE measured after the function, which
// clips the side the function flattens (about halving the error after
// SiLU on a wide Gaussian).
//
// Methods that clip (Percentile, MSE, KL) never return a range wider than
// MinMax, and fall back to MinMax if their range collapses to a point.
package calib
