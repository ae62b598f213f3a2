// Package testmodel makes a small int8 model for the tests that need a real
// one but not its accuracy (the daemon, the camera pipeline, the smoke
// checks): ShiftResNet-20 with seeded random weights, calibrated on a few
// synthetic inputs as neonet bench does, named with the CIFAR-10 labels. It
// needs no data files, so these tests run everywhere.
package testmodel
