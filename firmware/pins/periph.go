package pins

import (
	"fmt"
	"slices"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
)

// lookupPeriph finds a real pin among those periph.io's drivers
// registered, by its name, number or alias, and returns it with the name
// of the pin it is (an alias's real pin).
func lookupPeriph(name string) (gpio.PinOut, string, error) {
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, "", fmt.Errorf("gpio: no pin named %q on this board (%s)", name, knownPins())
	}
	base := p
	for {
		r, ok := base.(gpio.RealPin)
		if !ok || r.Real() == base {
			break
		}
		base = r.Real()
	}
	return p, base.Name(), nil
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
