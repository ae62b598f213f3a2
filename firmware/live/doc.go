// Package live keeps what the daemon is doing now, for the outputs that
// show it: the newest frame's top classes, the frame rate and inference
// time, every rule with its state and pin, the faults and the last
// decision records. The web page (package web) and the MQTT client
// (package mqtt) each embed a State.
//
// State is a firmware.Output. On the loop's side it only copies a few
// numbers under a mutex (no allocation per frame); readers take a Status
// snapshot when they want one (Snapshot, Version to see whether anything
// changed), and Subscribe to the decision records as Events, delivered
// through a bounded channel that drops, and counts, what its reader does
// not keep up with.
package live
