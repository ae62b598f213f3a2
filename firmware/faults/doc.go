// Package faults is the fault-injection suite of the daemon: it runs
// neonet run as a process, the way systemd runs it on a board (a fake
// notification socket with a short watchdog, simulated pins on a
// simulated board, a video file as the camera, pseudo-terminals as the
// serial port), and checks what docs/firmware.md's table of faults
// promises: the camera removed and restored, started without a camera,
// the serial port hung up and back, SIGHUP during start-up and with a
// damaged model, SIGKILL followed by the unit's stop-post command, SIGTERM
// at random moments, and a camera whose driver call hangs. Each test logs
// its figures. The package holds no code but its tests.
package faults
