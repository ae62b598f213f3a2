package ptq

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
)

// optimizedPaths is every kernel path but the reference that this CPU
// runs.
func optimizedPaths(t *testing.T) []dispatch.Path {
	var paths []dispatch.Path
	for _, p := range dispatch.Paths() {
		if p != dispatch.Ref && dispatch.Supported(p) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		t.Skip("no optimized kernel path on this CPU")
	}
	return paths
}

// TestNoZooStepRunsOnTheReference compiles every zoo model's int8 program
// on every optimized path this CPU has and fails on any step whose kernel
// is the reference's, unless a fused kernel does its work: every shift,
// batch norm, concatenation and flatten of the zoo runs fused or on an
// optimized kernel. The kernels are those Program.Steps names, so the
// test holds whatever the timings.
func TestNoZooStepRunsOnTheReference(t *testing.T) {
	paths := optimizedPaths(t)
	for _, m := range models.All() {
		t.Run(m.Name, func(t *testing.T) {
			_, qm := zooInt8(t, m)
			for _, path := range paths {
				for _, threads := range []int{1, 2} {
					p, err := qnet.CompileWith(qm, qnet.Options{Kernels: path, Threads: threads})
					if err != nil {
						t.Fatal(err)
					}
					for _, st := range p.Steps() {
						if strings.Contains(st.Kernel, "[ref]") && !strings.HasSuffix(st.Kernel, "(fused)") {
							t.Errorf("%s, %d thread(s): step %s runs on the reference: %s", path, threads, st.Name, st.Kernel)
						}
					}
					p.Close()
				}
			}
		})
	}
}

// TestShiftNetAMatchesTheReference runs ShiftNet-A's int8 program on
// every optimized path, with 1 and 2 threads, and requires the
// reference's bytes: its shifts fold into the convolutions through the
// pre-activation batch norms, with fill rows at the borders.
func TestShiftNetAMatchesTheReference(t *testing.T) {
	if testing.Short() {
		t.Skip("ShiftNet-A at 224x224 on the reference takes seconds")
	}
	m, err := models.Lookup("shiftnet_a")
	if err != nil {
		t.Fatal(err)
	}
	_, qm := zooInt8(t, m)
	ref, err := qnet.CompileWith(qm, qnet.Options{Kernels: dispatch.Ref})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 19))
	in := make([]int8, len(ref.Input().Data)) // the arena reuses the input's bytes
	for i := range in {
		in[i] = int8(rng.IntN(256) - 128)
	}
	copy(ref.Input().Data, in)
	ref.Run()
	want := append([]int8(nil), ref.Value(qm.Output).Data...)
	for _, path := range optimizedPaths(t) {
		for _, threads := range []int{1, 2} {
			p, err := qnet.CompileWith(qm, qnet.Options{Kernels: path, Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			fills := 0
			for _, st := range p.Steps() {
				if strings.Contains(st.Kernel, "fill") {
					fills++
				}
			}
			if fills != 21 {
				t.Errorf("%s: %d shifts fused through a batch norm, want all 21", path, fills)
			}
			copy(p.Input().Data, in)
			p.Run()
			got := p.Value(qm.Output).Data
			if !bytes.Equal(i8bytes(got), i8bytes(want)) {
				t.Errorf("%s, %d thread(s): output differs from the reference", path, threads)
			}
			p.Close()
		}
	}
}

func i8bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}
