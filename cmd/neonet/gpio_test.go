package main

import (
	"strings"
	"testing"
)

func TestGPIOTestSim(t *testing.T) {
	code, out, errOut := neonet("gpio", "test", "GPIO17", "--sim", "--count", "2", "--period", "4ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "pin GPIO17 -> high\npin GPIO17 -> low\npin GPIO17 -> high\npin GPIO17 -> low\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	// Active low: opening drives it high (inactive); blinking pulls it low.
	_, out, _ = neonet("gpio", "test", "GPIO5", "--sim", "--active-low", "--count", "1", "--period", "2ms")
	if want := "pin GPIO5 -> high\npin GPIO5 -> low\npin GPIO5 -> high\n"; out != want {
		t.Errorf("active low: %q, want %q", out, want)
	}
}

func TestGPIOTestErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"gpio"}, 2, "want 'neonet gpio test PIN"},
		{[]string{"gpio", "blink", "GPIO17"}, 2, "want 'neonet gpio test PIN"},
		{[]string{"gpio", "test", "--sim"}, 2, "want exactly one PIN"},
		{[]string{"gpio", "test", "GPIO17", "--sim", "--count", "0"}, 2, "--count 0"},
		{[]string{"gpio", "test", "GPIO17", "--sim", "--period", "1ns"}, 2, "--period 1ns"},
		{[]string{"gpio", "test", "GPIO_NOT_ON_THIS_BOARD"}, 1, `no pin named "GPIO_NOT_ON_THIS_BOARD"`},
	} {
		code, _, errOut := neonet(tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	if code, out, _ := neonet("gpio", "--help"); code != 0 || !strings.Contains(out, "Usage: neonet gpio test PIN") {
		t.Errorf("gpio --help: exit %d, %q", code, out)
	}
}
