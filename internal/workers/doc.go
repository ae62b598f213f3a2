// Package workers is the persistent thread pool the executors split big
// layers over: goroutines started once per program, handed ranges of
// output rows or pixels through preallocated channels, so running a layer
// on several cores spawns nothing and allocates nothing.
package workers
