// Package progress shows how far a long job (calibration images, dataset
// images, timed runs) has come: on a terminal one line rewritten at most
// twice a second, elsewhere (logs, CI) a line per tenth of the work.
package progress
