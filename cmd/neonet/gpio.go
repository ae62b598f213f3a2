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

	"neonet.dev/neonet/firmware/pins"
)

func runGPIO(args []string, stdout, stderr io.Writer) error {
	const synopsis = "test PIN [--sim] [--count N] [--period D] [--active-low]"
	if len(args) == 0 || args[0] != "test" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return runGPIOTest([]string{"--help"}, stdout)
		}
		return usageErrorf("want 'neonet gpio %s'", synopsis)
	}
	return runGPIOTest(args[1:], stdout)
}

func runGPIOTest(args []string, stdout io.Writer) error {
	fs := newFlags("gpio", "test PIN [--sim] [--count N] [--period D] [--active-low]", stdout)
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
