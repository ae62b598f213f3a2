package q8_test

import (
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8"
)

// Every test runs every operator on every kernel path this CPU supports,
// from the one table in kernels/dispatch, and compares it byte for byte
// with kernels/q8ref. Where a path's assembly is not built its Go twins
// stand in, so on any machine at least the reference and one path of
// each architecture run. Outputs sit inside buffers of sentinels that must
// come back untouched.

// path is a kernel path and its microkernels (nil for the reference).
type path struct {
	dispatch.Path
	k *q8.Kernels
}

// testPaths is every path this CPU supports; the others are logged.
func testPaths(t testing.TB) []path {
	t.Helper()
	var ps []path
	for _, p := range dispatch.Paths() {
		k, err := dispatch.Q8Kernels(p)
		if err != nil {
			t.Logf("path %v: skipped: %v", p, err)
			continue
		}
		ps = append(ps, path{p, k})
	}
	if len(ps) < 2 {
		t.Fatalf("only %v supported: the optimized kernels would go untested", ps)
	}
	return ps
}

// benchPaths is the reference and every path this CPU runs in assembly:
// the Go twins are for tests, not speed.
func benchPaths(b *testing.B) []path {
	var ps []path
	for _, p := range testPaths(b) {
		if p.k == nil || dispatch.Native(p.Path) {
			ps = append(ps, p)
		}
	}
	return ps
}
