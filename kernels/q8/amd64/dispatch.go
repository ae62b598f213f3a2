package amd64

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/cpu"
	"neonet.dev/neonet/kernels/dispatch"
)

// Path is one implementation of the int8 kernels, from neonet's one
// dispatch table (package kernels/dispatch).
type Path = dispatch.Path

// The paths this package implements.
const (
	// Ref is the pure-Go reference in kernels/q8ref.
	Ref = dispatch.Ref
	// AVX2 is the x86-64 path: VPMOVSXBW/VPMADDWD products, float32
	// requantization.
	AVX2 = dispatch.AVX2
)

// EnvVar names the environment variable that overrides the automatic
// choice of path (see dispatch.Select).
const EnvVar = dispatch.EnvVar

// Paths lists the paths this package implements, slowest first.
func Paths() []Path { return []Path{Ref, AVX2} }

// Native reports whether the package was built with its assembly (amd64
// without the purego tag). Otherwise the AVX2 path runs its Go twins.
const Native = native

// Supported reports whether p can run on this CPU (see dispatch.Supported).
// Where this package's assembly is built, AVX2 needs the CPU feature
// whatever the dispatch table's build says, so that a CPU without AVX2
// never reaches an AVX2 instruction.
func Supported(p Path) bool {
	if p == AVX2 && Native {
		return cpu.X86.HasAVX2
	}
	return dispatch.Supported(p)
}

// checkPath accepts the paths this package runs, on a CPU that can run
// them.
func checkPath(p Path) error {
	if p != Ref && p != AVX2 {
		return fmt.Errorf("kernel path %v is not implemented by kernels/q8/amd64", p)
	}
	if !Supported(p) {
		return fmt.Errorf("kernel path %v is not supported by this CPU", p)
	}
	return nil
}

// runsAVX2 reports whether a stateless kernel asked for path p runs the
// AVX2 kernels: only for AVX2 on a CPU that can run it. Any other request
// runs the reference.
func runsAVX2(p Path) bool { return p == AVX2 && Supported(AVX2) }

// ParsePath reads a path name as written in NEONET_KERNELS.
func ParsePath(s string) (Path, error) { return dispatch.ParsePath(s) }

// Best is the fastest path this package runs on this CPU: AVX2 where its
// assembly is built and the CPU has AVX2, else Ref (the Go twins are
// slower than the reference, so they are never chosen by default).
func Best() Path {
	if Native && Supported(AVX2) {
		return AVX2
	}
	return Ref
}

// Select returns the path NEONET_KERNELS names ("ref", "avx2" or "auto"),
// or Best. Naming a path this package does not implement, or one this CPU
// cannot run, is an error, not a silent fallback.
func Select() (Path, error) {
	v := strings.TrimSpace(os.Getenv(EnvVar))
	if v == "" || strings.EqualFold(v, "auto") {
		return Best(), nil
	}
	p, err := ParsePath(v)
	if err != nil {
		return Ref, fmt.Errorf("%s: %w", EnvVar, err)
	}
	if err := checkPath(p); err != nil {
		return Ref, fmt.Errorf("%s=%s: %w", EnvVar, v, err)
	}
	return p, nil
}
