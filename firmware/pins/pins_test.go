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
