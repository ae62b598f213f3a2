// Command neonet runs image classification models on the CPU of an edge
// board: it lists and describes the model zoo, classifies images, measures
// accuracy on labelled folders, quantizes models to int8 model files and
// inspects them. Run "neonet help" for the commands.
package main
