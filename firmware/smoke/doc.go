// Package smoke checks a board before it is left unattended, with the
// daemon's configuration and the daemon's own code paths: the model loads
// and runs, the camera delivers frames through the pipeline the daemon
// uses, every configured pin blinks once in order, a record reaches the
// serial port, and the SoC temperature reads. Each check says what it
// found or why it failed; `neonet smoke` prints them.
package smoke
