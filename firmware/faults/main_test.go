package faults

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMain lets the parallel tests run side by side beyond one per core
// (unless -parallel says otherwise): they mostly wait for a daemon that
// needs little CPU (a watchdog period, the end of a camera file's loop).
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == strconv.Itoa(runtime.GOMAXPROCS(0)) {
		flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}
