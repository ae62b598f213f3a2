// Package firmware is neonet's daemon: it turns camera frames into
// classifications with an int8 model, and classifications into GPIO pin
// states and serial-log records, unattended, under systemd.
//
// The pieces are small and testable on their own:
//
//   - Config (config.go) reads /etc/neonet/neonet.toml (decoded in
//     configfile.go); every error names the file, the line and the field,
//     a field of a [[rule]] table as rule[N].key.
//   - Detector (decide.go) is one rule's hysteresis state machine: it
//     activates after `frames` detecting frames and releases after
//     `release` frames without, and says which level its pin has at any
//     time (modes on, pulse, blink). Pure logic.
//   - Run (run.go) is the loop: capture -> classify -> decide -> outputs,
//     a heartbeat pin, a fault pin, periodic status records, sd_notify
//     (READY, WATCHDOG while the loop runs, STATUS) and reloads on
//     SIGHUP. A failing or missing camera or model is a fault state
//     (pins safe, fault pin lit, fault records) retried until it passes;
//     a call that hangs for stall_timeout ends the run with an error.
//     Frames come through package pipeline, the path neonet classify
//     --camera takes too.
//   - Output (output.go) is where results go: every classified frame,
//     every pin level change and every record. PinOutput (the GPIO pins)
//     and LogOutput (the serial log) are two; others are added without
//     touching the loop.
//   - Daemon (daemon.go) is neonet run as a library: Open reads the
//     configuration, opens pins and log, loads the model and starts the
//     camera; Run runs the loop under systemd; Close makes everything
//     safe. SafePins (outputs.go) drives a configuration's pins inactive
//     after the daemon, however it ended (neonet gpio safe).
//
// The camera, the model, the outputs, the clock and systemd are reached
// through the small interfaces Camera, Classifier, Output, Clock and
// Notifier, so the daemon runs end to end in tests with fakes. Subpackage
// pins drives real (periph.io) or simulated pins; serlog writes the
// records to the serial port (reopened when it comes back) and stdout
// without ever blocking inference; smoke checks a board with the daemon's
// own code paths; faults holds the fault-injection suite, which runs the
// daemon as a process.
//
// docs/firmware.md is the user's reference: every configuration key, the
// rule semantics, the record format and the systemd integration.
package firmware
