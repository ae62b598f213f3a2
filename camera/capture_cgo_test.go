//go:build cgo

package camera

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"neonet.dev/neonet/internal/testenv"
)

func video(t *testing.T, name string) string {
	return testenv.SharedData(t, "videos", name)
}

// readFile reads every frame of the video file at path once.
func readFile(t *testing.T, path string) []Frame {
	t.Helper()
	src, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return readAll(t, src)
}

// readAll reads a source to its end, keeping copies of the frames.
func readAll(t *testing.T, src Source) []Frame {
	t.Helper()
	var frames []Frame
	for {
		var f Frame
		err := src.Read(&f)
		if errors.Is(err, ErrEndOfStream) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
}

func TestVideoFilesAsCameras(t *testing.T) {
	for _, name := range []string{"Megamind.avi", "tree.avi", "gocv_small.mp4"} {
		path := video(t, name)
		// What the container says, asked of OpenCV directly.
		vc, err := gocv.VideoCaptureFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wantN := int(vc.Get(gocv.VideoCaptureFrameCount))
		wantW, wantH := int(vc.Get(gocv.VideoCaptureFrameWidth)), int(vc.Get(gocv.VideoCaptureFrameHeight))
		vc.Close()

		src, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if src.String() != path {
			t.Errorf("String() = %q, want %q", src.String(), path)
		}
		frames := readAll(t, src)
		src.Close()
		if strings.HasSuffix(name, ".avi") {
			// tree.avi's index lists 444 frames of which 376 are empty
			// chunks (the encoder's "repeat the previous frame"), which
			// FFmpeg skips: count the chunks that hold a picture.
			wantN = aviPictures(t, path)
		}
		if len(frames) != wantN || wantN < 50 {
			t.Errorf("%s: %d frames, the file holds %d", name, len(frames), wantN)
		}
		for i, f := range frames {
			if f.Width != wantW || f.Height != wantH || f.Stride != 3*wantW || f.Seq != uint64(i+1) {
				t.Fatalf("%s frame %d: %dx%d stride %d seq %d, want %dx%d", name, i, f.Width, f.Height, f.Stride, f.Seq, wantW, wantH)
			}
		}
		if bytes.Equal(frames[0].Pix, frames[len(frames)/2].Pix) {
			t.Errorf("%s: the first and middle frames are identical", name)
		}
		if name == "Megamind.avi" && (wantW != 720 || wantH != 528) {
			t.Errorf("Megamind.avi is %dx%d, the data README says 720x528", wantW, wantH)
		}
	}
}

// aviPictures counts the non-empty video chunks ("00dc", "00db") of an
// AVI file's movi list.
func aviPictures(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := bytes.Index(data, []byte("movi"))
	if p < 0 {
		t.Fatalf("%s: no movi list", path)
	}
	n := 0
	for p += 4; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:p+8]))
		switch {
		case id == "idx1":
			return n
		case id == "LIST":
			p += 12 // descend into rec lists
			continue
		case (strings.HasSuffix(id, "dc") || strings.HasSuffix(id, "db")) && size > 0:
			n++
		}
		p += 8 + size + size&1
	}
	return n
}

func TestVideoFileLoops(t *testing.T) {
	path := video(t, "tree.avi")
	frames := readFile(t, path)

	src, err := Open(path, Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	for i := range 2*len(frames) + 3 {
		if err := src.Read(&f); err != nil {
			t.Fatalf("looping read %d: %v", i, err)
		}
		want := frames[i%len(frames)]
		if f.Seq != uint64(i+1) || !bytes.Equal(f.Pix, want.Pix) {
			t.Fatalf("looping read %d (seq %d) differs from frame %d of the file", i, f.Seq, i%len(frames))
		}
	}
}

func TestGrabberSlowConsumerDropsFrames(t *testing.T) {
	src, err := Open(video(t, "Megamind.avi"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGrabber(src, GrabberOptions{})
	ctx := context.Background()
	var f Frame
	var prev uint64
	var skipped uint64
	for range 15 {
		if err := g.Latest(ctx, &f); err != nil {
			t.Fatal(err)
		}
		// Every frame between two handed out was dropped, and said so.
		if f.Seq-prev-1 != f.Skipped {
			t.Errorf("frame %d after %d reports %d skipped", f.Seq, prev, f.Skipped)
		}
		prev, skipped = f.Seq, skipped+f.Skipped
		// A slow classifier: it takes long enough for the decoder to
		// capture two more frames, the first of which is then dropped.
		// Waiting on the counter, not a fixed time, keeps a slow or loaded
		// machine from decoding too little to drop anything.
		captured := g.Stats().Captured
		time.Sleep(10 * time.Millisecond)
		for deadline := time.Now().Add(10 * time.Second); g.Stats().Captured < captured+2; {
			if time.Now().After(deadline) {
				t.Fatalf("the decoder captured %d frames in 10 s, want 2", g.Stats().Captured-captured)
			}
			time.Sleep(time.Millisecond)
		}
	}
	g.Close()
	s := g.Stats()
	if s.Dropped == 0 || skipped == 0 || skipped > s.Dropped {
		t.Errorf("a consumer at 100 frames/s behind a free-running decoder: %d dropped, %d skipped, stats %+v", s.Dropped, skipped, s)
	}
	if s.Delivered != 15 || s.Captured < s.Delivered+s.Dropped || s.Captured > s.Delivered+s.Dropped+1 {
		t.Errorf("counters do not add up: %+v", s)
	}
}

// TestGrabberEndsAtEndOfFile: a file that does not loop is read to its
// last frame, then Latest says the stream ended, once and for all.
func TestGrabberEndsAtEndOfFile(t *testing.T) {
	path := video(t, "tree.avi")
	frames := readFile(t, path)

	src, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGrabber(src, GrabberOptions{Clock: newFakeClock()})
	defer g.Close()
	var f Frame
	var seen uint64
	for {
		err := g.Latest(context.Background(), &f)
		if errors.Is(err, ErrEndOfStream) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen++
	}
	if f.Seq != uint64(len(frames)) || !bytes.Equal(f.Pix, frames[len(frames)-1].Pix) {
		t.Errorf("last frame taken: %d, want the file's last, %d", f.Seq, len(frames))
	}
	if err := g.Latest(context.Background(), &f); !errors.Is(err, ErrEndOfStream) || !strings.Contains(err.Error(), path) {
		t.Errorf("Latest after the end: %v, want the end of stream again", err)
	}
	if s := g.Stats(); s.Reopens != 0 || s.Failures != 1 || s.Captured != uint64(len(frames)) || seen != s.Delivered {
		t.Errorf("after the end of the file: %+v (%d taken)", s, seen)
	}
}

// TestVideoFileRemovedAndRestored: a looping file opens again at its
// end, so its removal is noticed there and said as it is ("no such file"),
// and it plays again once restored; a path that does not exist yet parses.
func TestVideoFileRemovedAndRestored(t *testing.T) {
	data, err := os.ReadFile(video(t, "tree.avi"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "camera.avi")
	src, err := Parse(path, Options{Loop: true})
	if err != nil {
		t.Fatalf("a camera file that is not there yet: %v", err)
	}
	if err := src.Open(); err == nil || err.Error() != "camera "+path+": no such file or folder" {
		t.Errorf("Open before the file exists: %v", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.Open(); err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	if err := src.Read(&f); err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	for i := 0; ; i++ {
		err := src.Read(&f)
		if err == nil {
			continue
		}
		if err.Error() != "camera "+path+": no such file or folder" || i > 100 {
			t.Fatalf("read %d after the removal: %v, want no such file at the end of the file", i, err)
		}
		break
	}
	src.Close()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.Open(); err != nil {
		t.Fatal(err)
	}
	if err := src.Read(&f); err != nil {
		t.Errorf("read after the file came back: %v", err)
	}
}

// The fused preprocessing on real video frames (the photo and synthetic
// cases are in preprocess_test.go).
func TestPreprocessorMatchesReferenceOnVideo(t *testing.T) {
	videos := testenv.SharedData(t, "videos")
	for _, name := range []string{"Megamind.avi", "tree.avi", "gocv_small.mp4"} {
		src, err := Open(filepath.Join(videos, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		// A few frames spread over each file.
		for i := 0; ; i++ {
			if err := src.Read(&f); err != nil {
				break
			}
			if i%50 == 0 {
				checkAgainstReference(t, fmt.Sprintf("%s frame %d", name, f.Seq), &f)
			}
		}
		src.Close()
	}
}

func TestGStreamerPipeline(t *testing.T) {
	src, err := Open("gst:videotestsrc num-buffers=4 ! video/x-raw,width=160,height=120 ! videoconvert ! video/x-raw,format=BGR ! appsink", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var f Frame
	for i := range 4 {
		if err := src.Read(&f); err != nil || f.Width != 160 || f.Height != 120 {
			t.Fatalf("pipeline frame %d: %dx%d, %v", i, f.Width, f.Height, err)
		}
	}
	if err := src.Read(&f); err == nil || !strings.Contains(err.Error(), "pipeline stopped") {
		t.Errorf("after the pipeline's last buffer: %v", err)
	}
}

func TestDeviceErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"/dev/video99":         "/dev/video99: no such device",
		"99":                   "/dev/video99: no such device",
		"/dev/null":            "cannot open",
		"gst:nosuch ! appsink": "cannot open",
	} {
		wantOpenError(t, spec, want)
	}
	// A file OpenCV cannot decode.
	wantOpenError(t, testenv.SharedData(t, "README.md"), "README.md: cannot open")
}

// TestCameraLibrariesQuiet: a file OpenCV cannot decode is said once, in
// the error; OpenCV, GStreamer and FFmpeg write nothing to stderr (each
// used to print its own lines, on every retry).
func TestCameraLibrariesQuiet(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "broken.mp4")
	if err := os.WriteFile(bad, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := captureStderr(t, func() {
		src, err := Parse(bad, Options{})
		if err == nil {
			err = src.Open()
		}
		if err == nil || !strings.Contains(err.Error(), "broken.mp4") {
			t.Errorf("a broken video: %v", err)
		}
	})
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("the camera libraries wrote to stderr:\n%s", stderr)
	}
}

// captureStderr runs f with file descriptor 2 (what C libraries write to)
// going to a pipe, and returns what was written.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string)
	go func() {
		data, _ := io.ReadAll(r)
		out <- string(data)
	}()
	syscall.Dup3(int(w.Fd()), 2, 0)
	f()
	syscall.Dup3(saved, 2, 0)
	syscall.Close(saved)
	w.Close()
	return <-out
}
