package alloctest

import (
	"testing"
)

var sink [][]byte

// allocating is a neonet function that allocates.
//
//go:noinline
func allocating() { sink = append(sink, make([]byte, 64)) }

// recorder collects Errorf calls instead of failing.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Helper()               {}

func TestFindsNeonetAllocations(t *testing.T) {
	r := &recorder{TB: t}
	Neonet(r, func() {
		for range 10 {
			allocating()
		}
	})
	if r.errors == 0 {
		t.Error("ten allocations in a neonet function were not reported")
	}
	sink = nil
}

func TestReportsNothingWhenNothingAllocates(t *testing.T) {
	r := &recorder{TB: t}
	Neonet(r, func() {})
	if r.errors != 0 {
		t.Errorf("%d stacks reported for a function that allocates nothing", r.errors)
	}
}

func TestCountsParkedGoroutinesWaitRecords(t *testing.T) {
	// Ping-pong between two goroutines parks one on every exchange; the
	// runtime's wait records are counted, never reported.
	r := &recorder{TB: t}
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	n := Neonet(r, func() {
		for i := range 1000 {
			ping <- i
			<-pong
		}
	})
	close(ping)
	t.Logf("%d wait records allocated by the runtime", n)
	if r.errors != 0 {
		t.Errorf("%d stacks reported for goroutines exchanging values on channels", r.errors)
	}
}
