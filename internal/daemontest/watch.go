package daemontest

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// WatchOpen returns a channel that is closed when the file at path is
// opened: a daemon reading its configuration, for a test that must act at
// that moment of its start-up and not earlier.
func WatchOpen(t testing.TB, path string) <-chan struct{} {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Clean(path), unix.IN_OPEN); err != nil {
		unix.Close(fd)
		t.Fatalf("inotify %s: %v", path, err)
	}
	events := os.NewFile(uintptr(fd), "inotify") // read through the poller, so Close ends a read
	t.Cleanup(func() { events.Close() })
	opened := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := events.Read(buf)
			if err != nil {
				return
			}
			if n >= unix.SizeofInotifyEvent && (*unix.InotifyEvent)(unsafe.Pointer(&buf[0])).Mask&unix.IN_OPEN != 0 {
				close(opened)
				return
			}
		}
	}()
	return opened
}
