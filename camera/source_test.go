package camera

import (
	"strings"
	"testing"
)

func TestSpecErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"":                   "empty spec",
		"synthetic:0x5":      `size "0x5"`,
		"synthetic:big":      `size "big"`,
		"gst:  ":             "empty GStreamer pipeline",
		"/no/such/video.avi": "no such file",
		"no-such-folder":     "no such file",
	} {
		err := wantOpenError(t, spec, want)
		if err != nil && spec != "" && !strings.Contains(err.Error(), spec) {
			t.Errorf("Open(%q): %v does not name the spec", spec, err)
		}
	}
}

// wantOpenError checks that Open(spec) fails with an error containing
// want, and returns the error.
func wantOpenError(t *testing.T, spec, want string) error {
	t.Helper()
	_, err := Open(spec, Options{})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open(%q): %v, want an error containing %q", spec, err, want)
	}
	return err
}

// FuzzParse checks that no SPEC makes Parse panic, and that what it
// accepts names itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"synthetic", "synthetic:640x480", "synthetic:x", "synthetic:99999x1", "0", "007", "99999999999999999999",
		"/dev/video0", "gst:videotestsrc ! appsink", "gst:", ".", "/", "x.avi", "synthetic:-1x-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		src, err := Parse(spec, Options{})
		if err == nil && src.String() == "" {
			t.Errorf("Parse(%q) returned a source with no name", spec)
		}
	})
}
