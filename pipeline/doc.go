// Package pipeline is the path from a camera to a model's scores: the
// newest camera frame, preprocessed into the model's input, classified
// into every class's probability. The daemon (package firmware), `neonet
// classify --camera`, `neonet bench --camera` and `neonet smoke` all take
// this one path:
//
//   - Camera reads a camera SPEC (package camera) on its own goroutine,
//     always hands out the newest frame, reopens a failing camera with
//     backoff and, for a daemon, may start without its camera
//     (StartAbsent) and turns a camera that stays silent into an error:
//     its last failure, or a StalledError for a call into the driver that
//     does not return.
//   - Model is a compiled int8 program that preprocesses each frame
//     straight into its int8 input and returns every class's probability;
//     FloatModel does the same for a float classifier (RGB conversion and
//     the float preprocessing). Both are a Classifier.
//   - Stream takes one frame through camera, preprocessing and model per
//     call, and says which of the three failed; Stream.Classify ends at
//     the end of a camera file that does not loop.
//
// Steady state allocates nothing: frames are swapped, not copied, the
// preprocessing tables are made once per frame size, and the scores are
// one slice reused from frame to frame.
package pipeline
