//go:build !cgo

package camera

import (
	"errors"
	"strings"
	"testing"

	"neonet.dev/neonet/internal/testenv"
)

func TestNoCameraSupportWithoutCgo(t *testing.T) {
	specs := []string{"0", "/dev/video0", "gst:videotestsrc ! appsink", testenv.SharedData(t, "videos", "tree.avi")}
	for _, spec := range specs {
		_, err := Open(spec, Options{})
		if !errors.Is(err, ErrNoCameraSupport) || !strings.Contains(err.Error(), strings.TrimPrefix(spec, "gst:")) {
			t.Errorf("Open(%q) without cgo: %v, want ErrNoCameraSupport naming the spec", spec, err)
		}
	}
	// The pure-Go sources still work.
	if _, err := Open("synthetic:32x32", Options{}); err != nil {
		t.Error(err)
	}
}
