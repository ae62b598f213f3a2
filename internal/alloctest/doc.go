// Package alloctest finds the heap allocations a piece of code makes, by
// the functions on their stacks, so that a test can tell neonet's own
// allocations (which steady-state inference must not make) from the Go
// runtime's.
//
// testing.AllocsPerRun counts every allocation in the process. With a
// thread pool that is not enough: when a pool goroutine parks on one
// processor and is woken on another, the runtime's per-processor cache of
// wait records (sudogs) moves with it, and the first processor allocates
// a new record, until its caches fill. How often that happens depends on
// the machine's load, so a count-based test of a multi-threaded program
// fails now and then on a busy machine while neonet allocates nothing.
package alloctest
