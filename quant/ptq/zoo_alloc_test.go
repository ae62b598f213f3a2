package ptq

import (
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/internal/alloctest"
	"neonet.dev/neonet/internal/zootest"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
)

// zooInt8 builds model m with seeded weights and quantizes it after one
// synthetic calibration input (the ranges do not matter here).
func zooInt8(t *testing.T, m models.Model) (*engine.Program, *qnet.Model) {
	t.Helper()
	g, fp := zootest.Compile(t, m)
	c, err := NewCalibrator(g)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, len(fp.Input().Data))
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	if err := c.Observe(x); err != nil {
		t.Fatal(err)
	}
	qm, err := c.Quantize(Meta{Name: m.Name}, calib.MinMax)
	if err != nil {
		t.Fatal(err)
	}
	return fp, qm
}

// TestEveryZooModelRunsWithoutAllocating: once compiled, one inference of
// every model of the zoo allocates nothing, in fp32, in int8 on this
// machine's kernel path with one thread (counted by AllocsPerRun), and
// with two (found in the memory profile: see package alloctest).
func TestEveryZooModelRunsWithoutAllocating(t *testing.T) {
	path, err := dispatch.Select()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range models.All() {
		t.Run(m.Name, func(t *testing.T) {
			fp, qm := zooInt8(t, m)
			if n := testing.AllocsPerRun(1, func() { fp.Run() }); n != 0 {
				t.Errorf("fp32: %v allocations per inference", n)
			}
			for _, threads := range []int{1, 2} {
				p, err := qnet.CompileWith(qm, qnet.Options{Kernels: path, Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if threads == 1 {
					// Two runs: AllocsPerRun divides whole counts, so a
					// stray allocation of the runtime's own (an earlier
					// program's cleanup) does not count; one per inference
					// does.
					if n := testing.AllocsPerRun(2, p.Run); n != 0 {
						t.Errorf("int8 on %s, 1 thread: %v allocations per inference", path, n)
					}
					continue
				}
				p.Run() // warm up
				alloctest.Neonet(t, func() {
					for range 2 {
						p.Run()
					}
				})
			}
		})
	}
}

// TestSteadyStateHeapDoesNotGrow: 1,000 int8 inferences of ShiftResNet-20
// with two threads make no allocation of neonet's, so the firmware's
// memory stays flat however long it runs.
func TestSteadyStateHeapDoesNotGrow(t *testing.T) {
	const runs = 1000
	m, _ := models.Lookup("shiftresnet20")
	_, qm := zooInt8(t, m)
	path, err := dispatch.Select()
	if err != nil {
		t.Fatal(err)
	}
	p, err := qnet.CompileWith(qm, qnet.Options{Kernels: path, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Run() // warm up
	sudogs := alloctest.Neonet(t, func() {
		for range runs {
			p.Run()
		}
	})
	t.Logf("%d inferences on %s: %d allocations of the runtime's wait records", runs, path, sudogs)
}
