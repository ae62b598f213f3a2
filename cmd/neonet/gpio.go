package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/pins"
)

func runGPIO(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "test":
			return runGPIOTest(args[1:], stdout)
		case "safe":
			return runGPIOSafe(args[1:], stdout)
		case "-h", "--help", "-help":
			return runGPIOTest([]string{"--help"}, stdout)
		}
	}
	return usageErrorf("want 'neonet gpio %s' or 'neonet gpio %s'", gpioTestSynopsis, gpioSafeSynopsis)
}

const (
	gpioTestSynopsis = "test PIN [--sim] [--count N] [--period D] [--active-low]"
	gpioSafeSynopsis = "safe [--config FILE] [--sim]"
)

// runGPIOSafe is neonet gpio safe: every pin of the configuration
// inactive, as systemd's ExecStopPost= runs it.
func runGPIOSafe(args []string, stdout io.Writer) error {
	fs := newFlags("gpio", gpioSafeSynopsis, stdout)
	o := firmware.Options{Stdout: stdout}
	fs.StringVar(&o.Config, "config", firmware.DefaultConfigPath, "configuration file (TOML) whose pins to drive inactive")
	fs.BoolVar(&o.SimPins, "sim", false, `simulated pins (as gpio = "sim")`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	specs, err := firmware.SafePins(o)
	if err != nil {
		return err
	}
	for _, p := range specs {
		level := "low"
		if p.ActiveLow {
			level = "high"
		}
		fmt.Fprintf(stdout, "%s inactive (%s)\n", p.Name, level)
	}
	return nil
}

func runGPIOTest(args []string, stdout io.Writer) error {
	fs := newFlags("gpio", gpioTestSynopsis, stdout)
	sim := fs.Bool("sim", false, "use a simulated pin that prints its transitions (no hardware)")
	count := fs.Int("count", 10, "number of blinks")
	period := fs.Duration("period", time.Second, "length of one blink (on, then off)")
	activeLow := fs.Bool("active-low", false, "the pin is active when low (e.g. relay boards)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usageErrorf("want exactly one PIN, got %d arguments", len(pos))
	case *count < 1:
		return usageErrorf("--count %d: want at least 1 blink", *count)
	case *period < 2*time.Millisecond || *period > time.Hour:
		return usageErrorf("--period %v: want 2ms to 1h", *period)
	}
	backend := "periph"
	if *sim {
		backend = "sim"
	}
	set, err := pins.Open(backend, []pins.Spec{{Name: pos[0], ActiveLow: *activeLow}}, stdout)
	if err != nil {
		return err
	}
	pin := set.Pins[0]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = pin.Blink(ctx, *count, *period, func(active bool) {
		if !*sim { // simulated pins print their own transitions
			fmt.Fprintln(stdout, pins.Transition(pin.Name(), active != *activeLow))
		}
	})
	return errors.Join(err, set.Safe())
}
