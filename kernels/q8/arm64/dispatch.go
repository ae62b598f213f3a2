package arm64

import (
	"fmt"
	"os"
	"strings"

	"neonet.dev/neonet/kernels/dispatch"
)

// Path is one implementation of the int8 kernels, from neonet's one
// dispatch table (package kernels/dispatch).
type Path = dispatch.Path

// The paths this package implements.
const (
	// Ref is the pure-Go reference in kernels/q8ref.
	Ref = dispatch.Ref
	// NEON is the ARMv8.0 path: SMULL/SMLAL/SADALP, for Cortex-A72/A57.
	NEON = dispatch.NEON
	// NEONDot is the ARMv8.2 dot-product path: SDOT, for Cortex-A76/A78.
	NEONDot = dispatch.NEONDot
)

// EnvVar names the environment variable that overrides the automatic
// choice of path (see dispatch.Select).
const EnvVar = dispatch.EnvVar

// Paths lists the paths this package implements, slowest first.
func Paths() []Path { return []Path{Ref, NEON, NEONDot} }

// ParsePath reads a path name as written in NEONET_KERNELS.
func ParsePath(s string) (Path, error) { return dispatch.ParsePath(s) }

// Native reports whether the package was built with its assembly (arm64
// without the purego tag). Otherwise the NEON paths run their Go twins.
const Native = native

// Supported reports whether p can run on this CPU (see dispatch.Supported).
func Supported(p Path) bool { return dispatch.Supported(p) }

// Best is the fastest of this package's paths this CPU runs natively:
// dispatch.Best where that is a NEON path, else Ref.
func Best() Path {
	if b := dispatch.Best(); b <= NEONDot {
		return b
	}
	return Ref
}

// Select returns the path NEONET_KERNELS names, or Best. Naming a path of
// another architecture's package is an error.
func Select() (Path, error) {
	v := strings.TrimSpace(os.Getenv(EnvVar))
	if v == "" || strings.EqualFold(v, "auto") {
		return Best(), nil
	}
	p, err := dispatch.Select()
	if err != nil {
		return Ref, err
	}
	if p > NEONDot {
		return Ref, fmt.Errorf("%s=%s: not a path of the arm64 kernels (ref, neon, neondot)", EnvVar, v)
	}
	return p, nil
}
