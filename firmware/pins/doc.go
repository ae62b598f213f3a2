// Package pins opens the daemon's output pins by name and drives them with
// their polarity applied: Set(true) means "active", which is a high level,
// or a low one for an active-low pin. Real pins come from periph.io (the
// Raspberry Pi 4 and 5 and Jetson GPIO character devices, found through
// host.Init and gpioreg.ByName; periph.go); the "sim" backend replaces them
// with simulated pins that print their transitions ("pin GPIO17 -> high";
// sim.go), for running the daemon on a desk. Spec names a pin and its
// polarity; the daemon's configuration lists its pins as Specs.
//
// Every pin is driven to its inactive (safe) level when opened and by
// Safe, which the daemon calls on every way out.
package pins
