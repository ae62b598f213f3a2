package dispatch

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/cpu"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8/amd64"
	"neonet.dev/neonet/kernels/q8/arm64"
)

// Path is one implementation of the int8 kernels.
type Path uint8

const (
	// Ref is the pure-Go reference in kernels/q8ref.
	Ref Path = iota
	// NEON is the ARMv8.0 path (kernels/q8/arm64): SMULL/SMLAL/SADALP, for
	// Cortex-A72/A57.
	NEON
	// NEONDot is the ARMv8.2 dot-product path (kernels/q8/arm64): SDOT, for
	// Cortex-A76/A78.
	NEONDot
	// AVX2 is the x86-64 path (kernels/q8/amd64), for development PCs and x86
	// edge boxes.
	AVX2
)

// EnvVar names the environment variable that overrides the automatic
// choice of path: "ref", "neon", "neondot", "avx2" or "auto".
const EnvVar = "NEONET_KERNELS"

var names = [...]string{Ref: "ref", NEON: "neon", NEONDot: "neondot", AVX2: "avx2"}

func (p Path) String() string {
	if int(p) < len(names) {
		return names[p]
	}
	return fmt.Sprintf("Path(%d)", p)
}

// Paths lists every path.
func Paths() []Path { return []Path{Ref, NEON, NEONDot, AVX2} }

// ParsePath reads a path name as written in NEONET_KERNELS.
func ParsePath(s string) (Path, error) {
	for p, name := range names {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Path(p), nil
		}
	}
	return Ref, fmt.Errorf("unknown kernel path %q (want one of %s)", s, strings.Join(names[:], ", "))
}

// NEONNative and AVX2Native report whether the assembly of each path is
// built into this binary (arm64 or amd64 without the purego tag).
const (
	NEONNative = neonNative
	AVX2Native = avx2Native
)

// Native reports whether p runs assembly in this binary: the reference
// never does, an optimized path where its assembly is built (elsewhere its
// Go twins stand in).
func Native(p Path) bool {
	switch p {
	case NEON, NEONDot:
		return NEONNative
	case AVX2:
		return AVX2Native
	}
	return false
}

// q8Kernels is the int8 microkernels of each path; the reference has none.
var q8Kernels = [...]*q8.Kernels{Ref: nil, NEON: arm64.NEON, NEONDot: arm64.NEONDot, AVX2: amd64.AVX2}

// Q8Kernels returns the int8 microkernels of path p, for the operators of
// kernels/q8: nil for Ref (they then run kernels/q8ref). A path this CPU
// cannot run is an error, so that no instruction the CPU lacks is ever
// reached.
func Q8Kernels(p Path) (*q8.Kernels, error) {
	if int(p) >= len(q8Kernels) {
		return nil, fmt.Errorf("unknown kernel path %v", p)
	}
	if !Supported(p) {
		return nil, fmt.Errorf("kernel path %v is not supported by this CPU", p)
	}
	return q8Kernels[p], nil
}

// Supported reports whether p can run here: on this CPU where its
// assembly is built, anywhere where its Go twins stand in.
func Supported(p Path) bool {
	switch p {
	case Ref:
		return true
	case NEON:
		return !NEONNative || cpu.ARM64.HasASIMD
	case NEONDot:
		return !NEONNative || (cpu.ARM64.HasASIMD && cpu.ARM64.HasASIMDDP)
	case AVX2:
		return !AVX2Native || cpu.X86.HasAVX2
	}
	return false
}

// Best is the fastest path with native assembly on this CPU: the
// dot-product path where the CPU has SDOT, else NEON on arm64; AVX2 on
// x86-64 CPUs that have it; else the reference (the Go twins are slower
// than the reference, so they are never chosen by default).
func Best() Path {
	for _, p := range []Path{NEONDot, NEON, AVX2} {
		if Native(p) && Supported(p) {
			return p
		}
	}
	return Ref
}

// Select returns the path to use: the one NEONET_KERNELS names, or Best.
// Naming a path this CPU cannot run is an error, not a silent fallback, so
// a benchmark never measures something other than what was asked.
func Select() (Path, error) {
	v := strings.TrimSpace(os.Getenv(EnvVar))
	if v == "" || strings.EqualFold(v, "auto") {
		return Best(), nil
	}
	p, err := ParsePath(v)
	if err != nil {
		return Ref, fmt.Errorf("%s: %w", EnvVar, err)
	}
	if !Supported(p) {
		return Ref, fmt.Errorf("%s=%s: this CPU lacks the instructions the path needs", EnvVar, p)
	}
	return p, nil
}
