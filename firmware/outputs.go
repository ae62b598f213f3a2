package firmware

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/firmware/serlog"
)

// logQueue is how many records may wait for a slow serial port: at 115200
// baud (about 11 kB/s) and about 100 bytes a record, ten seconds' worth.
const logQueue = 1024

// Outputs are the daemon's pins and log, opened from a configuration.
type Outputs struct {
	Pins *pins.Set
	Log  *serlog.Logger
	port io.Closer // the serial port, nil when disabled
}

// OpenOutputs opens the configuration's pins (every one driven inactive)
// and its log, which goes to stdout and, unless serial.port is "", to the
// serial port.
func OpenOutputs(cfg *Config, stdout io.Writer) (*Outputs, error) {
	set, err := OpenPins(cfg, stdout)
	if err != nil {
		return nil, err
	}
	o := &Outputs{Pins: set}
	outs := []io.Writer{stdout}
	if cfg.Serial.Port != "" {
		port, err := OpenSerial(cfg.Serial)
		if err != nil {
			return nil, errors.Join(err, set.Safe())
		}
		o.port = port
		outs = append(outs, port)
	}
	o.Log = serlog.NewLogger(logQueue, outs...)
	return o, nil
}

// OpenPins opens every pin the configuration names, on its GPIO backend,
// driven inactive; simulated pins print their transitions to stdout.
func OpenPins(cfg *Config, stdout io.Writer) (*pins.Set, error) {
	return pins.Open(cfg.GPIO, cfg.Pins(), stdout)
}

// OpenSerial opens the configured serial port with its framing.
func OpenSerial(s SerialConfig) (io.WriteCloser, error) {
	return serlog.OpenSerial(s.Port, serlog.Framing{Baud: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits})
}

// List is the pins and the log as Run takes them.
func (o *Outputs) List() []Output {
	return []Output{PinOutput{Pins: o.Pins}, LogOutput{Log: o.Log}}
}

// Close drives every pin inactive, writes the queued records and closes
// the serial port. Call it on every way out, fatal errors included.
func (o *Outputs) Close() error {
	err := o.Pins.Safe()
	o.Log.Close()
	if o.port != nil {
		err = errors.Join(err, o.port.Close())
	}
	return err
}

// Signals returns a context cancelled by SIGTERM or SIGINT (stop the
// daemon) and a channel that receives on SIGHUP (reload). stop releases
// the signals.
func Signals(parent context.Context) (ctx context.Context, reload <-chan struct{}, stop func()) {
	ctx, cancel := signal.NotifyContext(parent, syscall.SIGTERM, os.Interrupt)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reloads := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				select {
				case reloads <- struct{}{}:
				default: // one pending reload is enough
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, reloads, func() {
		signal.Stop(hup)
		close(done)
		cancel()
	}
}
