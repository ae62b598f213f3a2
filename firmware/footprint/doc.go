// Package footprint measures what the daemon costs a board: it runs
// neonet run as a process with SqueezeNet 1.1 under a frame-rate budget
// (max_fps = 5) and without one, and checks the frame count, the
// process's CPU time (read from the kernel, not estimated) and its peak
// resident memory against what docs/firmware.md states. The test logs
// every figure it measures. The package holds no code but its tests.
package footprint
