package pins

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// SimBoardEnv names the environment variable that gives simulated pins a
// board: a folder where each pin keeps its level in a file named after it
// (Canonical), "1" (high) or "0" (low). A real board keeps its pins'
// levels after the process that drove them ends; with a simulated board,
// so do simulated pins, and another process (neonet gpio safe --sim, a
// test) reads and drives the same pins.
const SimBoardEnv = "NEONET_SIM_GPIO"

// SimPin is a simulated output pin that prints each change of level. (It
// is not periph's gpiotest.Pin because that package needs a module,
// clockwork, that go.sum does not hold.)
type SimPin struct {
	name string
	w    io.Writer
	file string // the pin's level on a simulated board, or ""

	mu    sync.Mutex
	level gpio.Level
}

// newBoardPin returns a simulated pin on the board in folder board ("" for
// none), at the level the board holds for it.
func newBoardPin(name, board string, w io.Writer) (*SimPin, error) {
	p := NewSimPin(name, w)
	if board == "" {
		return p, nil
	}
	p.file = filepath.Join(board, Canonical(name))
	level, err := ReadSimLevel(board, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	p.level = level
	return p, nil
}

// ReadSimLevel reads the level a simulated board in folder board holds
// for the pin name.
func ReadSimLevel(board, name string) (gpio.Level, error) {
	data, err := os.ReadFile(filepath.Join(board, Canonical(name)))
	if err != nil {
		return gpio.Low, fmt.Errorf("simulated pin %s: %w", name, err)
	}
	switch strings.TrimSpace(string(data)) {
	case "1":
		return gpio.High, nil
	case "0":
		return gpio.Low, nil
	}
	return gpio.Low, fmt.Errorf("simulated pin %s: %q in %s, want 0 or 1", name, data, board)
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

// Out sets the level and prints "pin NAME -> high|low" when it changes;
// on a simulated board the level is written to the pin's file first.
func (p *SimPin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.file != "" {
		if err := writeLevel(p.file, l); err != nil {
			return fmt.Errorf("simulated pin %s: %w", p.name, err)
		}
	}
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

// writeLevel replaces a simulated board's level file at once (a new file
// renamed over the old one), so that a reader never sees it half written.
func writeLevel(path string, l gpio.Level) error {
	tmp := path + ".new"
	text := "0\n"
	if l == gpio.High {
		text = "1\n"
	}
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
