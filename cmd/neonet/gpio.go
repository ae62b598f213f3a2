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
	fs := newFlags("gpio", "test PIN [--sim] [--count N] [--period D] [--active-low]", `
Blink one output pin so you can check the wiring of an LED or relay before
the daemon drives it. PIN is a name as the board's GPIO driver knows it
("GPIO17" on a Raspberry Pi, a line name on a Jetson). Each blink is one
period: active for the first half, inactive for the second; the pin is
left inactive at the end or on Ctrl-C. The user needs access to
/dev/gpiochip* (group gpio).

Example:
  neonet gpio test GPIO17 --count 5 --period 500ms`, stdout)
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
	err = blink(ctx, pin, *count, *period, func(active bool) {
		if !*sim { // simulated pins print their own transitions
			fmt.Fprintf(stdout, "pin %s -> %s\n", pin.Name(), levelName(active != *activeLow))
		}
	})
	return errors.Join(err, set.Safe())
}

// blink drives pin active then inactive count times, half a period each,
// calling show after each change; it stops early when ctx is cancelled.
func blink(ctx context.Context, pin *pins.Out, count int, period time.Duration, show func(active bool)) error {
	for i := 0; i < 2*count; i++ {
		active := i%2 == 0
		if err := pin.Set(active); err != nil {
			return err
		}
		show(active)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(period / 2):
		}
	}
	return nil
}

func levelName(high bool) string {
	if high {
		return "high"
	}
	return "low"
}
