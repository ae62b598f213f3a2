package engine

import (
	"math"
	"testing"
	"time"
)

// A profiled run computes what Run computes, and gives every step a
// duration without forgetting earlier ones.
func TestRunProfiledMatchesRun(t *testing.T) {
	g := smallNet(t)
	plain, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	profiled := plain.Clone()
	for i := range plain.Input().Data {
		v := float32(math.Sin(float64(i) * 0.7))
		plain.Input().Data[i], profiled.Input().Data[i] = v, v
	}
	want := plain.Run().Data
	d := make([]time.Duration, len(profiled.Steps()))
	profiled.RunProfiled(d)
	first := append([]time.Duration(nil), d...)
	profiled.RunProfiled(d)
	got := profiled.Value(g.Output).Data
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("output %d: profiled %v, Run %v", i, got[i], want[i])
		}
	}
	for i := range d {
		if d[i] < first[i] || d[i] < 0 {
			t.Errorf("step %s: %v after the second run, %v after the first", profiled.Steps()[i].Name, d[i], first[i])
		}
	}
	if n := testing.AllocsPerRun(5, func() { profiled.RunProfiled(d) }); n != 0 {
		t.Errorf("RunProfiled allocates %v times per call", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("RunProfiled with too few durations did not panic")
		}
	}()
	profiled.RunProfiled(d[:1])
}
