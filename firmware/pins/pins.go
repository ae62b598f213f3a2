package pins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
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
func Open(backend string, specs []Spec, sim io.Writer) (*Set, error) {
	var lookup func(name string) (gpio.PinOut, error)
	switch backend {
	case "periph":
		if _, err := host.Init(); err != nil {
			return nil, fmt.Errorf("gpio: initialising periph.io drivers: %w", err)
		}
		lookup = lookupPeriph
	case "sim":
		lookup = func(name string) (gpio.PinOut, error) { return NewSimPin(name, sim), nil }
	default:
		return nil, fmt.Errorf(`gpio backend %q: want "periph" or "sim"`, backend)
	}
	set := &Set{}
	for _, spec := range specs {
		p, err := lookup(spec.Name)
		if err != nil {
			return nil, errors.Join(err, set.Safe())
		}
		out := NewOut(spec.Name, p, spec.ActiveLow)
		set.Pins = append(set.Pins, out)
		if err := out.Set(false); err != nil {
			return nil, errors.Join(err, set.Safe())
		}
	}
	return set, nil
}

func lookupPeriph(name string) (gpio.PinOut, error) {
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("gpio: no pin named %q on this board (%s)", name, knownPins())
	}
	return p, nil
}

// knownPins describes the registered pins for an error message.
func knownPins() string {
	var names []string
	for _, p := range gpioreg.All() {
		names = append(names, p.Name())
	}
	if len(names) == 0 {
		return "no GPIO pins found: is /dev/gpiochip* readable by this user (group gpio)?"
	}
	slices.Sort(names)
	if len(names) > 12 {
		return fmt.Sprintf("%d pins, e.g. %s", len(names), strings.Join(names[:12], ", "))
	}
	return "pins: " + strings.Join(names, ", ")
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

// SimPin is a simulated output pin that prints each change of level. (It
// is not periph's gpiotest.Pin because that package needs a module,
// clockwork, that go.sum does not hold.)
type SimPin struct {
	name string
	w    io.Writer

	mu    sync.Mutex
	level gpio.Level
}

// NewSimPin returns a simulated low pin named name printing to w (nil for
// silence).
func NewSimPin(name string, w io.Writer) *SimPin { return &SimPin{name: name, w: w} }

func (p *SimPin) String() string   { return p.name + "(sim)" }
func (p *SimPin) Name() string     { return p.name }
func (p *SimPin) Number() int      { return -1 }
func (p *SimPin) Function() string { return "Out/" + p.Read().String() }
func (p *SimPin) Halt() error      { return nil }

// Read returns the level last set.
func (p *SimPin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// Out sets the level and prints "pin NAME -> high|low" when it changes.
func (p *SimPin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l != p.level && p.w != nil {
		fmt.Fprintln(p.w, Transition(p.name, bool(l)))
	}
	p.level = l
	return nil
}

// PWM is not simulated: the daemon only switches pins.
func (p *SimPin) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("pin %s: PWM is not simulated", p.name)
}
