// Package serlog writes the daemon's log: one line of key=value pairs per
// record,
//
//	t=2026-11-28T21:00:00.123Z event=detect label="tabby" score=0.83 pin=GPIO17 state=1
//
// to the serial port and to stdout (the journal). Records are queued in a
// bounded buffer and written by one goroutine, so a slow or unplugged port
// never blocks inference; records that do not fit are counted, and the
// count is reported in the next status record.
package serlog
