// Package bench measures inference latency, in the spirit of ncnn's
// benchncnn: for each model, precision and thread count it compiles the
// model, runs untimed warm-up inferences, then timed ones, and reports the
// minimum, median and maximum latency, the model's multiply-accumulates
// and the GMAC/s achieved; optionally a per-layer profile (median time per
// layer, its share, GMAC/s and kernel) and its chart, and camera-to-logits
// latency on frames of a camera through the daemon's pipeline. Machine
// describes where it ran. No weights are needed: named models get seeded
// random weights and, at int8, synthetic calibration (latency does not
// depend on the values). `neonet bench` prints the results.
package bench
