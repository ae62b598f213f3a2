// Package workers is the persistent thread pool the executors split big
// layers over: goroutines started once per program, handed ranges of
// output rows or pixels through per-helper mailboxes, so running a layer
// on several cores spawns nothing and allocates nothing. Between the
// layers of an inference the helpers spin rather than park, because
// waking a parked goroutine costs about as much as a small layer.
package workers
