package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/internal/testenv"
)

// frameLine is one line of classify --camera --json.
type frameLine struct {
	Frame uint64 `json:"frame"`
	Top   []struct {
		Index int     `json:"index"`
		Label string  `json:"label"`
		Score float32 `json:"score"`
	} `json:"top"`
	MS      float64 `json:"ms"`
	Dropped uint64  `json:"dropped"`
}

func parseFrameLines(t *testing.T, out string) []frameLine {
	t.Helper()
	var lines []frameLine
	for _, s := range strings.Split(strings.TrimSpace(out), "\n") {
		var l frameLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("line %q: %v", s, err)
		}
		lines = append(lines, l)
	}
	return lines
}

// The int8 camera path (fused preprocessing into the int8 input) gives the
// same predictions, to the bit, as classifying the same pictures as files.
func TestClassifyCameraInt8MatchesFiles(t *testing.T) {
	modelFile, _, calibDir := quantizeShiftResNet(t)
	folder := filepath.Join(calibDir, "ship")
	code, out, errOut := neonet("classify", "--model", modelFile, "--camera", folder, "--camera-fps", "0", "--frames", "4", "--top", "3", "--json")
	if code != 0 {
		t.Fatalf("classify --camera: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "classified 4 frames (int8)") {
		t.Errorf("summary line missing: %q", errOut)
	}
	lines := parseFrameLines(t, out)
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), out)
	}
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	var prev uint64
	for _, l := range lines {
		if l.Frame <= prev || l.Dropped != l.Frame-prev-1 || len(l.Top) != 3 || l.MS <= 0 {
			t.Errorf("frame line %+v after frame %d", l, prev)
		}
		prev = l.Frame
		// Frame n is the folder's n-th image in name order, counting on
		// through the images again once the grabber has reopened the
		// folder at its end.
		image := filepath.Join(folder, entries[(l.Frame-1)%uint64(len(entries))].Name())
		code, out, errOut := neonet("classify", "--model", modelFile, "--top", "3", "--json", image)
		if code != 0 {
			t.Fatalf("classify %s: %s", image, errOut)
		}
		var want frameLine
		if err := json.Unmarshal([]byte(out), &want); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.Top, want.Top) {
			t.Errorf("frame %d (%s): camera path %+v, file path %+v", l.Frame, image, l.Top, want.Top)
		}
	}
}

func TestClassifyCameraFloatAndVideo(t *testing.T) {
	weights := filepath.Join(testenv.SharedData(t), "weights", "shiftresnet20_cifar10")
	code, out, errOut := neonet("classify", "--model", "shiftresnet20", "--weights", weights, "--camera", "synthetic:64x48", "--frames", "3", "--top", "2", "--json")
	if code != 0 {
		t.Fatalf("fp32 on the synthetic camera: exit %d: %s", code, errOut)
	}
	if lines := parseFrameLines(t, out); len(lines) != 3 || len(lines[0].Top) != 2 || lines[0].Top[0].Label == "" {
		t.Errorf("fp32 on the synthetic camera: %q", out)
	}
	if !strings.Contains(errOut, "synthetic:64x48: classified 3 frames (fp32)") {
		t.Errorf("summary: %q", errOut)
	}

	// A video file: classified with OpenCV, or refused by name without it.
	video := filepath.Join(testenv.SharedData(t), "videos", "tree.avi")
	code, out, errOut = neonet("classify", "--model", "shiftresnet20", "--weights", weights, "--camera", video, "--frames", "2")
	if _, err := camera.Parse(video, camera.Options{}); errors.Is(err, camera.ErrNoCameraSupport) {
		if code != 1 || !strings.Contains(errOut, "without camera support") {
			t.Errorf("video without cgo: exit %d, %q", code, errOut)
		}
		return
	}
	if code != 0 || strings.Count(out, "frame ") != 2 || !strings.Contains(out, "(320x240, ") {
		t.Errorf("video: exit %d, %q, %q", code, out, errOut)
	}

	// Without --loop the file is classified to its end, then the run ends
	// with its summary (tree.avi holds 68 pictures).
	code, out, errOut = neonetWithin(t, time.Minute, "classify", "--model", "shiftresnet20", "--weights", weights, "--camera", video, "--camera-fps", "0")
	// Decoded as fast as it goes, frames the classifier had no time for
	// were dropped; the last one is always classified.
	if code != 0 || !strings.Contains(out, "frame 68 ") || !strings.Contains(errOut, "captured 68,") || !strings.Contains(errOut, "reopens 0") {
		t.Errorf("video to its end: exit %d, %d frames, %q", code, strings.Count(out, "frame "), errOut)
	}
}

// A corrupt image in a folder camera is said by name on stderr and
// counted in the summary; the others are classified.
func TestClassifyCameraSaysUnreadableImages(t *testing.T) {
	weights := filepath.Join(testenv.SharedData(t), "weights", "shiftresnet20_cifar10")
	dir := t.TempDir()
	for i, name := range []string{"0000.jpg", "0001.jpg"} {
		data, err := os.ReadFile(filepath.Join(testenv.SharedData(t), "images", "cifar10-dev", "cat", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.jpg", 2*i)), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "1.jpg"), []byte("not a picture"), 0o644)
	code, out, errOut := neonetWithin(t, time.Minute, "classify", "--model", "shiftresnet20", "--weights", weights, "--camera", dir, "--camera-fps", "0")
	if code != 0 || !strings.Contains(errOut, "captured 2,") || !strings.Contains(errOut, "1.jpg") || !strings.Contains(errOut, "unreadable 1") {
		t.Errorf("folder with a corrupt image: exit %d, %q, %q", code, out, errOut)
	}
}

func TestClassifyCameraErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", "squeezenet1_1", "--frames", "3", "x.jpg"}, 2, "need --camera"},
		{[]string{"--model", "squeezenet1_1", "--camera", "synthetic", "x.jpg"}, 2, "drop the IMAGE arguments"},
		{[]string{"--model", "squeezenet1_1", "--camera", "synthetic", "--frames", "-1"}, 2, "must not be negative"},
		{[]string{"--model", "squeezenet1_1", "--camera", "synthetic", "--camera-fps", "NaN"}, 2, "must not be negative"},
		{[]string{"--model", "squeezenet1_1", "--camera", "synthetic", "--camera-size", "640"}, 2, `size "640"`},
		{[]string{"--model", "squeezenet1_1", "--camera", "/no/such/camera.avi", "--frames", "1"}, 1, "/no/such/camera.avi"},
	} {
		code, _, errOut := neonet(append([]string{"classify"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("classify %v: exit %d, %q; want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
	code, out, _ := neonet("classify", "--help")
	if code != 0 || !strings.Contains(out, "--camera SPEC") || !strings.Contains(out, "-camera-fps") || !strings.Contains(out, `"dropped"`) {
		t.Errorf("classify --help does not document the camera flags")
	}
}
