package pins

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"periph.io/x/conn/v3/gpio"
)

func TestSimPinsPolarityAndSafeState(t *testing.T) {
	var out bytes.Buffer
	set, err := Open("sim", []Spec{{Name: "GPIO17"}, {Name: "GPIO27", ActiveLow: true}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	// Opening drives the active-low pin high (its inactive level); the
	// active-high pin is already low, so it prints nothing.
	if got := out.String(); got != "pin GPIO27 -> high\n" {
		t.Errorf("after open: %q", got)
	}
	out.Reset()
	for _, p := range set.Pins {
		if err := p.Set(true); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.ByName("GPIO17").Set(true); err != nil { // no change, no line
		t.Fatal(err)
	}
	if err := set.Safe(); err != nil {
		t.Fatal(err)
	}
	want := "pin GPIO17 -> high\npin GPIO27 -> low\npin GPIO17 -> low\npin GPIO27 -> high\n"
	if out.String() != want {
		t.Errorf("transitions:\n%s\nwant:\n%s", out.String(), want)
	}
	if set.ByName("GPIO5") != nil {
		t.Error("ByName found a pin that was not opened")
	}
}

// failingPin refuses to be driven, like a line another process holds.
type failingPin struct{ *SimPin }

func (failingPin) Out(gpio.Level) error { return errors.New("device or resource busy") }

func TestSafeTriesEveryPin(t *testing.T) {
	good := NewSimPin("GPIO5", nil)
	set := &Set{Pins: []*Out{NewOut("GPIO4", failingPin{NewSimPin("GPIO4", nil)}, false), NewOut("GPIO5", good, false)}}
	if err := set.Pins[1].Set(true); err != nil {
		t.Fatal(err)
	}
	err := set.Safe()
	if err == nil || !strings.Contains(err.Error(), "pin GPIO4: device or resource busy") {
		t.Errorf("Safe error %v", err)
	}
	if good.Read() != gpio.Low {
		t.Error("the pin after a failing one was not driven safe")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("wiringpi", nil, nil); err == nil || !strings.Contains(err.Error(), `"wiringpi"`) {
		t.Errorf("unknown backend: %v", err)
	}
	// This machine has no GPIO named like this: the error names the pin.
	_, err := Open("periph", []Spec{{Name: "GPIO_NOPE_99"}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"GPIO_NOPE_99"`) {
		t.Errorf("missing pin: %v", err)
	}
}

// TestAliasesAreOnePin: "17" is GPIO17 to the board's registry, so two
// rules on "17" and "GPIO17" would drive one pin: refused, in simulation
// as on the board.
func TestAliasesAreOnePin(t *testing.T) {
	for _, specs := range [][]Spec{
		{{Name: "17"}, {Name: "GPIO17"}},
		{{Name: "GPIO17"}, {Name: "017"}},
	} {
		_, err := Open("sim", specs, nil)
		if err == nil || !strings.Contains(err.Error(), "are the same pin (GPIO17)") {
			t.Errorf("%v: %v, want them refused as one pin", specs, err)
		}
	}
	if _, err := Open("sim", []Spec{{Name: "17"}, {Name: "GPIO18"}, {Name: "P1_11"}}, nil); err != nil {
		t.Errorf("distinct pins: %v", err)
	}
	for name, want := range map[string]string{"17": "GPIO17", "0": "GPIO0", "GPIO17": "GPIO17", "P1_11": "P1_11", "PH.07": "PH.07"} {
		if got := Canonical(name); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestSimBoardKeepsLevels: on a simulated board a pin keeps its level
// after its process lets go of it, and the next process that opens it
// finds that level and drives it safe, as on a real board.
func TestSimBoardKeepsLevels(t *testing.T) {
	board := t.TempDir()
	t.Setenv(SimBoardEnv, board)
	specs := []Spec{{Name: "GPIO17"}, {Name: "27", ActiveLow: true}}
	set, err := Open("sim", specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Pins {
		if err := p.Set(true); err != nil {
			t.Fatal(err)
		}
	}
	// The process dies here, without Safe: the board keeps the levels.
	for name, want := range map[string]gpio.Level{"GPIO17": gpio.High, "GPIO27": gpio.Low, "27": gpio.Low} {
		if got, err := ReadSimLevel(board, name); err != nil || got != want {
			t.Errorf("%s on the board: %v, %v; want %v", name, got, err, want)
		}
	}
	var out bytes.Buffer
	if _, err := Open("sim", specs, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "pin GPIO17 -> low\npin 27 -> high\n"; got != want {
		t.Errorf("opening again printed %q, want %q", got, want)
	}
	for name, want := range map[string]gpio.Level{"GPIO17": gpio.Low, "GPIO27": gpio.High} {
		if got, err := ReadSimLevel(board, name); err != nil || got != want {
			t.Errorf("%s after opening again: %v, %v; want %v", name, got, err, want)
		}
	}
}
