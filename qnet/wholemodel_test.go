package qnet_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/alloctest"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/qnet"
)

// wholeModels are the int8 models `make golden` quantizes into
// testdata/golden/int8, each with the amd64 reference run beside it
// (internal/cmd/int8ref).
var wholeModels = []string{"squeezenet1_1", "shiftresnet20", "efficientnet_b0"}

// TestWholeModelsMatchAmd64Reference runs each model on every kernel path
// this CPU supports and requires the output bytes the pure-Go reference
// produced on amd64 for the same input: under qemu this checks the NEON
// and dot-product assembly end to end.
func TestWholeModelsMatchAmd64Reference(t *testing.T) {
	for _, name := range wholeModels {
		t.Run(name, func(t *testing.T) {
			m, in, want := loadWhole(t, name)
			for _, path := range dispatch.Paths() {
				if !dispatch.Supported(path) {
					t.Logf("%s: path %s not supported on this CPU (%s)", name, path, runtime.GOARCH)
					continue
				}
				p, err := qnet.CompileWith(m, qnet.Options{Kernels: path})
				if err != nil {
					t.Fatal(err)
				}
				if path != dispatch.Ref {
					optimized := 0
					for _, st := range p.Steps() {
						if strings.Contains(st.Kernel, "["+path.String()+"]") {
							optimized++
						}
					}
					if optimized == 0 {
						t.Fatalf("%s on %s: no step runs an optimized kernel", name, path)
					}
				}
				copy(p.Input().Data, in)
				p.Run()
				got := p.Value(m.Output).Data
				if !bytes.Equal(int8Bytes(got), want) {
					t.Errorf("%s on %s/%s (NEON assembly %v, AVX2 assembly %v): output differs from the amd64 reference in %d of %d values",
						name, runtime.GOARCH, path, dispatch.NEONNative, dispatch.AVX2Native, countDiff(int8Bytes(got), want), len(want))
				} else {
					t.Logf("%s on %s/%s (NEON assembly %v, AVX2 assembly %v): %d output values identical to the amd64 reference",
						name, runtime.GOARCH, path, dispatch.NEONNative, dispatch.AVX2Native, len(want))
				}
			}
		})
	}
}

func int8Bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

func countDiff(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// loadWhole loads one of the golden int8 models and its reference run:
// the input, and the output bytes the amd64 reference computed from it.
func loadWhole(t testing.TB, name string) (*qnet.Model, []int8, []byte) {
	t.Helper()
	dir := filepath.Join(testenv.Golden(t), "int8")
	m, err := modelfile.Load(filepath.Join(dir, name+".neonet"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(filepath.Join(dir, name+".ref"))
	if err != nil {
		t.Fatal(err)
	}
	inLen := m.Tensors[m.Input].Shape.Elems()
	outLen := m.Tensors[m.Output].Shape.Elems()
	if len(ref) != inLen+outLen {
		t.Fatalf("%s.ref has %d bytes, want %d input + %d output", name, len(ref), inLen, outLen)
	}
	in := make([]int8, inLen)
	for i := range in {
		in[i] = int8(ref[i])
	}
	return m, in, ref[inLen:]
}

// TestThreadsGiveTheSameBytesAndAllocateNothing runs every model on every
// supported optimized path with 1 and 3 threads: the reference's bytes
// either way, and no allocation per inference once compiled.
func TestThreadsGiveTheSameBytesAndAllocateNothing(t *testing.T) {
	for _, name := range wholeModels {
		t.Run(name, func(t *testing.T) {
			m, in, _ := loadWhole(t, name)
			ref, err := qnet.CompileWith(m, qnet.Options{Kernels: dispatch.Ref})
			if err != nil {
				t.Fatal(err)
			}
			copy(ref.Input().Data, in)
			ref.Run()
			want := int8Bytes(ref.Value(m.Output).Data)
			for _, path := range dispatch.Paths()[1:] {
				if !dispatch.Supported(path) {
					continue
				}
				for _, threads := range []int{1, 3} {
					p, err := qnet.CompileWith(m, qnet.Options{Kernels: path, Threads: threads})
					if err != nil {
						t.Fatal(err)
					}
					if p.Threads() != threads {
						t.Errorf("%s: asked for %d threads, program has %d", path, threads, p.Threads())
					}
					copy(p.Input().Data, in)
					p.Run()
					if got := int8Bytes(p.Value(m.Output).Data); !bytes.Equal(got, want) {
						t.Errorf("%s with %d threads: output differs from the reference in %d values", path, threads, countDiff(got, want))
					}
					if threads > 1 {
						alloctest.Neonet(t, func() {
							for range 3 {
								p.Run()
							}
						})
					}
					p.Close()
				}
			}
		})
	}
}

// TestMemoryPlanNeverOverlapsLiveTensors checks the arena plan of each
// model: tensors alive at the same step never share bytes, and the arena
// is smaller than a buffer per tensor.
func TestMemoryPlanNeverOverlapsLiveTensors(t *testing.T) {
	for _, name := range wholeModels {
		m, _, _ := loadWhole(t, name)
		plan := qnet.PlanMemory(m)
		n := len(m.Tensors)
		first, last := make([]int, n), make([]int, n)
		for i := range first {
			first[i], last[i] = -1, -1
		}
		for s, node := range m.Nodes {
			first[node.Output] = s
			last[node.Output] = max(last[node.Output], s)
			for _, in := range node.Inputs {
				last[in] = max(last[in], s)
			}
		}
		last[m.Output] = len(m.Nodes)
		for a := 0; a < n; a++ {
			ea := plan.Offsets[a] + m.Tensors[a].Shape.Elems()
			if ea > plan.Size {
				t.Fatalf("%s: tensor %s ends at %d, past the arena's %d bytes", name, m.Tensors[a].Name, ea, plan.Size)
			}
			for b := a + 1; b < n; b++ {
				eb := plan.Offsets[b] + m.Tensors[b].Shape.Elems()
				live := first[a] <= last[b] && first[b] <= last[a]
				overlap := plan.Offsets[a] < eb && plan.Offsets[b] < ea
				if live && overlap {
					t.Fatalf("%s: %s and %s are alive together and share bytes", name, m.Tensors[a].Name, m.Tensors[b].Name)
				}
			}
		}
		t.Logf("%s: activation arena %d KB, %d KB with a buffer per tensor", name, plan.Size/1024, plan.Total/1024)
		if name == "squeezenet1_1" && dispatch.Supported(dispatch.NEON) {
			// On the NEON paths the Fire modules' expand convolutions write
			// straight into their concatenation.
			p, err := qnet.CompileWith(m, qnet.Options{Kernels: dispatch.NEON, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			in, fused := 0, 0
			for _, st := range p.Steps() {
				if strings.Contains(st.Kernel, " into ") {
					in++
				}
				if strings.HasPrefix(st.Kernel, "concat") && strings.HasSuffix(st.Kernel, "(fused)") {
					fused++
				}
			}
			t.Logf("%s on neon: %d convolutions write into %d concatenations; arena %d KB", name, in, fused, p.Memory().Size/1024)
			if fused != 8 || in != 16 {
				t.Errorf("%s on neon: %d convolutions into %d concatenations, want the 16 expand layers into the 8 Fire concatenations", name, in, fused)
			}
			if p.Memory().Size > plan.Size {
				t.Errorf("%s on neon: arena %d bytes, above the reference plan's %d", name, p.Memory().Size, plan.Size)
			}
		}
		if plan.Size >= plan.Total {
			t.Errorf("%s: the plan saves nothing (%d of %d bytes)", name, plan.Size, plan.Total)
		}
	}
}
