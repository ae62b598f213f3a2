package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Program finds a program the tests run (chromium, mosquitto): on PATH,
// or at one of paths (Debian installs mosquitto in /usr/sbin, which a
// user's PATH lacks). Without it the test is skipped, or fails under
// NEONET_REQUIRE_DATA=1.
func Program(t testing.TB, name string, paths ...string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return require(t, name, name+" (apt-get install "+name+", or make deps)")
}

// Buffer is a bytes.Buffer that goroutines may share: the output of a
// daemon that a test reads while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
