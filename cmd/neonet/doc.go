// Command neonet runs image classification models on the CPU of an edge
// board: it lists and describes the model zoo, classifies images and camera
// frames, measures accuracy on labelled folders, quantizes models to int8
// model files and inspects them, measures latency, and runs the firmware.
// Run "neonet help" for the commands. It parses flags, prints and sets the
// exit code; the work is done by the packages (classify, pipeline, bench,
// firmware, ...), and each command's description is help/COMMAND.txt.
package main
