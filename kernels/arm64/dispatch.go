package arm64

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"
)

// Path is one implementation of the int8 kernels.
type Path uint8

const (
	// Ref is the pure-Go reference in kernels/q8.
	Ref Path = iota
	// NEON is the ARMv8.0 path: SMULL/SMLAL/SADALP, for Cortex-A72/A57.
	NEON
	// NEONDot is the ARMv8.2 dot-product path: SDOT, for Cortex-A76/A78.
	NEONDot
)

// EnvVar names the environment variable that overrides the automatic
// choice of path: "ref", "neon" or "neondot".
const EnvVar = "NEONET_KERNELS"

var pathNames = [...]string{Ref: "ref", NEON: "neon", NEONDot: "neondot"}

func (p Path) String() string {
	if int(p) < len(pathNames) {
		return pathNames[p]
	}
	return fmt.Sprintf("Path(%d)", p)
}

// Paths lists every path, slowest first.
func Paths() []Path { return []Path{Ref, NEON, NEONDot} }

// ParsePath reads a path name as written in NEONET_KERNELS.
func ParsePath(s string) (Path, error) {
	for p, name := range pathNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Path(p), nil
		}
	}
	return Ref, fmt.Errorf("unknown kernel path %q (want one of %s)", s, strings.Join(pathNames[:], ", "))
}

// Native reports whether the package was built with its assembly (arm64
// without the purego tag). Otherwise the NEON paths run their Go twins.
const Native = native

// Supported reports whether p can run on this CPU. The Go twins run
// anywhere, so without the assembly every path is supported.
func Supported(p Path) bool {
	switch p {
	case Ref:
		return true
	case NEON:
		return !Native || cpu.ARM64.HasASIMD
	case NEONDot:
		return !Native || (cpu.ARM64.HasASIMD && cpu.ARM64.HasASIMDDP)
	}
	return false
}

// Best is the fastest path this CPU supports: the dot-product path where
// the CPU has SDOT, else the ARMv8.0 path on arm64, else the reference
// (other architectures gain nothing from running the twins).
func Best() Path {
	if !Native || runtime.GOARCH != "arm64" {
		return Ref
	}
	if Supported(NEONDot) {
		return NEONDot
	}
	if Supported(NEON) {
		return NEON
	}
	return Ref
}

// Select returns the path to use: the one NEONET_KERNELS names, or Best.
// Naming a path this CPU cannot run is an error, not a silent fallback, so
// a benchmark never measures something other than what was asked.
func Select() (Path, error) {
	v, ok := os.LookupEnv(EnvVar)
	if !ok || strings.TrimSpace(v) == "" || strings.EqualFold(strings.TrimSpace(v), "auto") {
		return Best(), nil
	}
	p, err := ParsePath(v)
	if err != nil {
		return Ref, fmt.Errorf("%s: %w", EnvVar, err)
	}
	if !Supported(p) {
		return Ref, fmt.Errorf("%s=%s: this CPU lacks the instructions (dot product: %v)", EnvVar, p, cpu.ARM64.HasASIMDDP)
	}
	return p, nil
}
