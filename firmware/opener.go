package firmware

import (
	"context"
	"io"

	"neonet.dev/neonet/firmware/serlog"
)

// OutputOpener opens an output that a section of the configuration asks
// for (the web page for [http], the MQTT client for [mqtt]), or returns
// no output when the section is absent. Open calls each one in
// Options.Openers after the pins and the log are open; Daemon.Close closes
// the outputs that are io.Closers, before the pins and the log.
type OutputOpener func(env OutputEnv) ([]Output, error)

// OutputEnv is what an OutputOpener gets.
type OutputEnv struct {
	Config *Config
	// Stderr gets warnings at startup (a web page reachable from the
	// network without a token).
	Stderr io.Writer
	// Report hands a record made on the output's own goroutine (a broker
	// that went away, and came back) to the loop, which gives it to every
	// output as its own. It never blocks; when the loop is far behind the
	// record is dropped.
	Report func(*serlog.Record)
	// Install makes a model file the daemon's model, as a reload would
	// (Daemon.Install); nil when the outputs run without a Daemon.
	Install func(ctx context.Context, file string) error
}

// Configurable is an Output that shows the rules or the model's classes.
// The loop calls Configure when it starts and after every reload that
// replaced the configuration and the model, with the model's classes in
// output order; an output copies what it keeps.
type Configurable interface {
	Configure(cfg *Config, labels []string)
}

// reportQueue is how many records from outputs' goroutines may wait for
// the loop.
const reportQueue = 64

// openExtra runs the openers; on an error it closes the outputs already
// opened.
func openExtra(openers []OutputOpener, env OutputEnv) ([]Output, error) {
	var outs []Output
	for _, open := range openers {
		o, err := open(env)
		if err != nil {
			closeOutputs(outs)
			return nil, err
		}
		outs = append(outs, o...)
	}
	return outs, nil
}

// closeOutputs closes the outputs that are io.Closers, the last opened
// first.
func closeOutputs(outs []Output) error {
	var err error
	for i := len(outs) - 1; i >= 0; i-- {
		if c, ok := outs[i].(io.Closer); ok {
			if e := c.Close(); e != nil && err == nil {
				err = e
			}
		}
	}
	return err
}
