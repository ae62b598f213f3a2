package firmware

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/firmware/serlog"
)

// logQueue is how many records may wait for a slow serial port: at 115200
// baud (about 11 kB/s) and about 100 bytes a record, ten seconds' worth.
const logQueue = 1024

// Outputs are the daemon's pins and log, opened from a configuration.
type Outputs struct {
	Pins   *pins.Set
	Log    *serlog.Logger
	Serial *serlog.Port // nil when the serial port is disabled
}

// serialBackoff bounds the wait between two attempts to open a serial
// port that is absent or was hung up: an adapter plugged back in is used
// within half a minute.
const serialBackoff = 30 * time.Second

// OpenOutputs opens the configuration's pins (every one driven inactive)
// and its log, which goes to stdout and, unless serial.port is "", to the
// serial port. A serial port that cannot be opened, now or later, is
// tried again with backoff (from retry_interval to 30 s) while the
// records go to stdout; fault and recovered records with source=serial
// say when it goes and comes back.
func OpenOutputs(cfg *Config, stdout io.Writer) (*Outputs, error) {
	set, err := OpenPins(cfg, stdout)
	if err != nil {
		return nil, err
	}
	o := &Outputs{Pins: set}
	if cfg.Serial.Port == "" {
		o.Log = serlog.NewLogger(logQueue, stdout)
		return o, nil
	}
	o.Serial = serlog.NewPort(func() (io.WriteCloser, error) { return OpenSerial(cfg.Serial) }, cfg.RetryInterval, serialBackoff)
	o.Log = serlog.NewLogger(logQueue, stdout, o.Serial)
	o.Serial.OnChange = func(err error) {
		if err != nil {
			o.Log.Log(serlog.New(time.Now(), "fault").Word("source", "serial").Str("error", err.Error()))
		} else {
			o.Log.Log(serlog.New(time.Now(), "recovered").Word("source", "serial"))
		}
	}
	return o, nil
}

// OpenPins opens every pin the configuration names, on its GPIO backend,
// driven inactive; simulated pins print their transitions to stdout.
func OpenPins(cfg *Config, stdout io.Writer) (*pins.Set, error) {
	return pins.Open(cfg.GPIO, cfg.Pins(), stdout)
}

// SafePins drives every pin the configuration names to its inactive
// level (pins.Open does on opening) and returns them: what systemd runs
// after the daemon has stopped, however it ended, SIGKILL and SIGABRT
// included (ExecStopPost=neonet gpio safe). It reads the configuration
// only, not the model, and opens nothing else.
func SafePins(o Options) ([]pins.Spec, error) {
	cfg, err := o.LoadConfig()
	if err != nil {
		return nil, err
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if _, err := OpenPins(cfg, o.Stdout); err != nil {
		return nil, err
	}
	return cfg.Pins(), nil
}

// OpenSerial opens the configured serial port with its framing.
func OpenSerial(s SerialConfig) (io.WriteCloser, error) {
	return serlog.OpenSerial(s.Port, serlog.Framing{Baud: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits})
}

// List is the pins and the log as Run takes them.
func (o *Outputs) List() []Output {
	return []Output{PinOutput{Pins: o.Pins}, LogOutput{Log: o.Log, Serial: o.Serial}}
}

// Close drives every pin inactive, writes the queued records and closes
// the serial port. Call it on every way out, fatal errors included.
func (o *Outputs) Close() error {
	err := o.Pins.Safe()
	o.Log.Close()
	if o.Serial != nil {
		err = errors.Join(err, o.Serial.Close())
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
