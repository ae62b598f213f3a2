// Package classify turns images into ranked class labels with a compiled
// model, and measures a model's accuracy on a labelled folder of images.
// It is what the neonet classify and eval commands, and the firmware, run.
package classify
