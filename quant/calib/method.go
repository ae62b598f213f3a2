package calib

import (
	"fmt"
	"strings"
)

// Method selects how Observer.Range derives a clipping range.
type Method int

// The calibration methods; see the package documentation.
const (
	MinMax Method = iota
	Percentile
	MSE
	KL
	Auto
)

// Default is the method neonet uses when none is named.
const Default = MSE

var methodNames = [...]string{"minmax", "percentile", "mse", "kl", "auto"}

// String returns the method's name as accepted by ParseMethod.
func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod parses a method name ("minmax", "percentile", "mse", "kl",
// "auto"), ignoring case and surrounding space.
func ParseMethod(s string) (Method, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for i, n := range methodNames {
		if n == name {
			return Method(i), nil
		}
	}
	return 0, fmt.Errorf("calib: unknown method %q (want one of %s)", s, strings.Join(methodNames[:], ", "))
}
