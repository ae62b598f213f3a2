// Package daemontest runs neonet run as a process, for tests, the way
// systemd runs it on a board: the binary built once per test binary
// (Binary), its output read line by line (Start, Process), a fake systemd
// notification socket that records every message with its arrival time
// (NotifySocket), pseudo-terminals as serial ports (SerialPort), a
// simulated board that keeps the pins' levels across processes (Board),
// and a watch that tells when the process opens a file (WatchOpen).
package daemontest
