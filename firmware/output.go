package firmware

import (
	"context"
	"fmt"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/firmware/serlog"
)

// Output is where the daemon's results go. The GPIO pins (PinOutput) and
// the serial log (LogOutput) are two; a web page, metrics or an MQTT
// client are more, added to Deps.Outputs without touching the loop.
//
// The loop calls each output in turn, from its own goroutine, one call at
// a time, and waits for nothing but the call: an output returns at once,
// copies what it keeps (arguments are valid only during the call), and
// leaves slow work (a network, a disk) to a goroutine of its own that
// drops what it cannot keep up with. Embed NopOutput to implement only
// some of the methods.
type Output interface {
	// Frame is called with every classified frame, before the rules see
	// it.
	Frame(f *Frame)
	// Level is called when an output pin's logical level changes (true is
	// active): a rule's pin, the heartbeat pin or the fault pin. An error
	// becomes a fault record, and the level is written again at the next
	// change.
	Level(pin string, active bool) error
	// Record is called with every record the daemon makes: start, ready,
	// detect, release, fault, recovered, status, reload and stop
	// (docs/firmware.md).
	Record(r *serlog.Record)
}

// StatusReporter is an Output with counters of its own, which it appends
// to every status record before the record goes out.
type StatusReporter interface {
	Status(r *serlog.Record)
}

// Frame is one classified frame, as outputs see it.
type Frame struct {
	Time   time.Time     // when the model finished with it
	Seq    uint64        // the camera's frame number
	Pixels *camera.Frame // what the model saw (BGR, before preprocessing)
	Scores []Score       // every class's probability, in output order
	Infer  time.Duration // the model's inference time
}

// NopOutput ignores everything; embed it in an Output that implements
// only some of the methods.
type NopOutput struct{}

// Frame implements Output.
func (NopOutput) Frame(*Frame) {}

// Level implements Output.
func (NopOutput) Level(string, bool) error { return nil }

// Record implements Output.
func (NopOutput) Record(*serlog.Record) {}

// PinOutput drives the GPIO pins of a configuration.
type PinOutput struct {
	NopOutput
	Pins *pins.Set
}

// Level implements Output.
func (o PinOutput) Level(name string, active bool) error {
	p := o.Pins.ByName(name)
	if p == nil {
		return fmt.Errorf("pin %s was not opened", name)
	}
	return p.Set(active)
}

// LogOutput writes the records to the serial port and stdout (the
// journal) through a serlog.Logger, which never blocks.
type LogOutput struct {
	NopOutput
	Log    *serlog.Logger
	Serial *serlog.Port // the Logger's serial port, nil if none
}

// Record implements Output.
func (o LogOutput) Record(r *serlog.Record) { o.Log.Log(r) }

// Status implements StatusReporter: the records lost since the last
// status (the queue was full), the failed writes and, with a serial port,
// the records it did not get (it was absent or hung up).
func (o LogOutput) Status(r *serlog.Record) {
	r.Int("log_overflow", int64(o.Log.TakeOverflow())).Int("log_errors", int64(o.Log.TakeWriteErrors()))
	if o.Serial != nil {
		r.Int("serial_lost", int64(o.Serial.TakeLost()))
	}
}

// frameLimit ends a run after a number of classified frames.
type frameLimit struct {
	NopOutput
	left int
	done context.CancelFunc
}

func (l *frameLimit) Frame(*Frame) {
	if l.left--; l.left == 0 {
		l.done()
	}
}
