package pins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3"
)

// Spec names a pin and its polarity.
type Spec struct {
	Name      string
	ActiveLow bool
}

// Out is one output pin.
type Out struct {
	name      string
	pin       gpio.PinOut
	activeLow bool

	mu     sync.Mutex
	active bool
}

// NewOut wraps an already opened periph pin (tests pass gpiotest pins).
func NewOut(name string, pin gpio.PinOut, activeLow bool) *Out {
	return &Out{name: name, pin: pin, activeLow: activeLow}
}

// Name is the pin's name as configured.
func (o *Out) Name() string { return o.name }

// Active reports the last level set.
func (o *Out) Active() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.active
}

// Set drives the pin active or inactive.
func (o *Out) Set(active bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	level := gpio.Level(active != o.activeLow)
	if err := o.pin.Out(level); err != nil {
		return fmt.Errorf("pin %s: %w", o.name, err)
	}
	o.active = active
	return nil
}

// Set is the daemon's pins, in configuration order.
type Set struct {
	Pins []*Out
}

// ByName returns the pin called name, or nil.
func (s *Set) ByName(name string) *Out {
	for _, p := range s.Pins {
		if p.name == name {
			return p
		}
	}
	return nil
}

// Safe drives every pin inactive, trying all of them even if some fail.
func (s *Set) Safe() error {
	var errs []error
	for _, p := range s.Pins {
		errs = append(errs, p.Set(false))
	}
	return errors.Join(errs...)
}

// Open opens specs with backend "periph" (real pins) or "sim" (simulated
// pins that print their transitions to sim). Every pin starts inactive.
// Two specs that name one pin (an alias, such as "17" and "GPIO17") are
// refused: the registry of real pins, or Canonical for simulated ones,
// says which pin a name is.
func Open(backend string, specs []Spec, sim io.Writer) (*Set, error) {
	var lookup func(name string) (gpio.PinOut, string, error)
	switch backend {
	case "periph":
		if _, err := host.Init(); err != nil {
			return nil, fmt.Errorf("gpio: initialising periph.io drivers: %w", err)
		}
		lookup = lookupPeriph
	case "sim":
		board := os.Getenv(SimBoardEnv)
		lookup = func(name string) (gpio.PinOut, string, error) {
			p, err := newBoardPin(name, board, sim)
			return p, Canonical(name), err
		}
	default:
		return nil, fmt.Errorf(`gpio backend %q: want "periph" or "sim"`, backend)
	}
	set := &Set{}
	opened := map[string]string{} // the pin a name resolved to -> that name
	for _, spec := range specs {
		p, id, err := lookup(spec.Name)
		if err == nil && opened[id] != "" {
			err = fmt.Errorf("gpio: %s and %s are the same pin (%s): use one name for it", opened[id], spec.Name, id)
		}
		if err != nil {
			return nil, errors.Join(err, set.Safe())
		}
		opened[id] = spec.Name
		out := NewOut(spec.Name, p, spec.ActiveLow)
		set.Pins = append(set.Pins, out)
		if err := out.Set(false); err != nil {
			return nil, errors.Join(err, set.Safe())
		}
	}
	return set, nil
}

// Canonical is the name a simulated pin is known by: a plain number is
// the GPIO of that number ("17" and "017" are "GPIO17"), as the board's
// registry treats it; other names are themselves.
func Canonical(name string) string {
	if n, err := strconv.ParseUint(name, 10, 16); err == nil {
		return "GPIO" + strconv.FormatUint(n, 10)
	}
	return name
}

// Transition describes a pin's change of level: "pin GPIO17 -> high".
func Transition(name string, high bool) string {
	if high {
		return "pin " + name + " -> high"
	}
	return "pin " + name + " -> low"
}

// Blink drives the pin active then inactive count times, half a period
// each, calling show after each change; it stops early, leaving the pin as
// it is, when ctx is cancelled.
func (o *Out) Blink(ctx context.Context, count int, period time.Duration, show func(active bool)) error {
	for i := 0; i < 2*count; i++ {
		active := i%2 == 0
		if err := o.Set(active); err != nil {
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
