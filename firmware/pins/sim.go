package pins

import (
	"fmt"
	"io"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

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
