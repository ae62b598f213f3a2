package amd64

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"neonet.dev/neonet/kernels/internal/kerneltest"
)

// TestGemmFillsThePanel calls the kernel with more rows than its panel
// holds, for K at the panel's limit and just past it, so that the panel is
// filled to its last byte (a panel larger than the assembly's frame would
// overwrite its locals) and the 4x8 kernel takes over past it. The rows
// are compared with the Go twins of the same packed weights.
func TestGemmFillsThePanel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ k, cout int }{{gemmPanelMaxK, 21}, {gemmPanelMaxK - 1, 16}, {gemmPanelMaxK + 1, 9}, {40, 35}} {
		kp := c.k + c.k&1
		rows := 2*gemmPanelRows(min(kp, gemmPanelMaxK)) + 5
		// Two taps per row: the row's own channels, then a padding tap
		// for every third row, so the zero row is read too.
		kcs := []int32{int32(c.k - c.k/3), int32(c.k / 3)}
		src := kerneltest.ConvRandomInt8s(rng, rows*c.k, -128, 127)
		zero := make([]int8, c.k)
		for i := range zero {
			zero[i] = 5
		}
		ind := make([]int32, 2*rows)
		for r := range rows {
			ind[2*r] = int32(r * c.k)
			ind[2*r+1] = int32(r*c.k + int(kcs[0]))
			if r%3 == 0 {
				ind[2*r+1] = -1
			}
		}
		w := kerneltest.ConvRandomInt8s(rng, c.k*c.cout, -127, 127)
		bias := make([]int32, c.cout)
		for i := range bias {
			bias[i] = int32(rng.IntN(20001) - 10000)
		}
		mult := make([]float32, c.cout)
		for i := range mult {
			mult[i] = kerneltest.RandomMultiplier(rng) / float32(c.k)
		}
		weight := func(tap, k, o int) int8 { return w[(tap*int(kcs[0])+k)*c.cout+o] }
		packed := gemmPack(kcs, c.cout, weight, bias, func(o int) float32 { return mult[o] })
		rq := newRequant(-3, -128, 127)
		got := make([]int8, rows*c.cout)
		gemmAVX2(rows, c.cout, &kcs[0], 2, unsafe.Pointer(&src[0]), unsafe.Pointer(&zero[0]), &ind[0],
			unsafe.Pointer(&packed[0]), unsafe.Pointer(&got[0]), c.cout, &rq)
		want := make([]int8, rows*c.cout)
		body := unsafe.Pointer(&packed[gemmHeaderWords])
		if packed[0] == gemmLayout6x16 {
			for m := 0; m < rows; m += gemmPanelRows(kp) {
				n := min(gemmPanelRows(kp), rows-m)
				gemmPortable6x16(n, c.cout, &kcs[0], 2, unsafe.Pointer(&src[0]), unsafe.Pointer(&zero[0]), &ind[2*m],
					body, unsafe.Pointer(&want[m*c.cout]), c.cout, &rq, kp, 0)
			}
		} else {
			gemmPortable4x8(rows, c.cout, &kcs[0], 2, unsafe.Pointer(&src[0]), unsafe.Pointer(&zero[0]), &ind[0],
				body, unsafe.Pointer(&want[0]), c.cout, &rq)
		}
		if wantLayout := int32(gemmLayout6x16); kp > gemmPanelMaxK {
			if packed[0] != gemmLayout4x8 {
				t.Errorf("K %d: packed for layout %d, want the 4x8 kernel", c.k, packed[0])
			}
		} else if packed[0] != wantLayout {
			t.Errorf("K %d: packed for layout %d, want the 6x16 kernel", c.k, packed[0])
		}
		kerneltest.Diff(t, fmt.Sprintf("gemm K %d", c.k), got, want)
	}
}
