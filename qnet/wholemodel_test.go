package qnet_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/kernels/arm64"
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
	dir := filepath.Join(testenv.Golden(t), "int8")
	for _, name := range wholeModels {
		t.Run(name, func(t *testing.T) {
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
			for _, path := range arm64.Paths() {
				if !arm64.Supported(path) {
					t.Logf("%s: path %s not supported on this CPU (%s)", name, path, runtime.GOARCH)
					continue
				}
				p, err := qnet.CompileWith(m, qnet.Options{Kernels: path})
				if err != nil {
					t.Fatal(err)
				}
				if path != arm64.Ref {
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
				in := p.Input().Data
				for i := range in {
					in[i] = int8(ref[i])
				}
				p.Run()
				got := p.Value(m.Output).Data
				want := ref[inLen:]
				if !bytes.Equal(int8Bytes(got), want) {
					t.Errorf("%s on %s/%s (native assembly %v): output differs from the amd64 reference in %d of %d values",
						name, runtime.GOARCH, path, arm64.Native, countDiff(int8Bytes(got), want), len(want))
				} else {
					t.Logf("%s on %s/%s (native assembly %v): %d output values identical to the amd64 reference",
						name, runtime.GOARCH, path, arm64.Native, len(want))
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
