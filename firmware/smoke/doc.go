// Package smoke checks a board before it is left unattended, with the
// daemon's configuration and the daemon's own code paths: the model loads
// and runs, the camera delivers frames through the pipeline the daemon
// uses, the daemon's loop keeps max_fps and says what it costs (CPU time,
// memory), every configured pin blinks once in order, a record reaches
// the serial port, the SoC temperature reads and the board is neither
// short of power nor throttled. Each check says what it found or why it
// failed; `neonet smoke` prints them.
package smoke
