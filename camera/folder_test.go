package camera

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/preprocess"
)

func TestFolderSource(t *testing.T) {
	dir := testenv.SharedData(t, "images", "samples")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var images []string // already in name order
	for _, e := range entries {
		if ext := strings.ToLower(filepath.Ext(e.Name())); ext == ".jpg" || ext == ".bmp" || ext == ".png" {
			images = append(images, e.Name())
		}
	}
	if len(images) < 10 {
		t.Fatalf("only %d sample images in %s", len(images), dir)
	}
	src, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	for i, name := range images {
		if err := src.Read(&f); err != nil {
			t.Fatalf("image %d (%s): %v", i, name, err)
		}
		img, err := preprocess.Decode(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want := preprocess.ToRGB8(img)
		got, err := f.RGB8(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.W != want.W || got.H != want.H || string(got.Pix) != string(want.Pix) || f.Seq != uint64(i+1) {
			t.Errorf("frame %d: %dx%d seq %d, want %s's %dx%d pixels", i, f.Width, f.Height, f.Seq, name, want.W, want.H)
		}
	}
	if err := src.Read(&f); !errors.Is(err, ErrEndOfStream) || !strings.Contains(err.Error(), dir) {
		t.Errorf("after the last image: %v, want ErrEndOfStream naming the folder", err)
	}
	// Reopened after the end, it starts again from the first image.
	src.Close()
	if err := src.Open(); err != nil {
		t.Fatal(err)
	}
	first, _ := preprocess.Decode(filepath.Join(dir, images[0]))
	if err := src.Read(&f); err != nil || f.Width != first.Bounds().Dx() || f.Seq != uint64(len(images)+1) {
		t.Errorf("after reopening: %dx%d seq %d, %v", f.Width, f.Height, f.Seq, err)
	}

	// Looping: the image after the last is the first.
	loop, err := Open(dir, Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	var firstFrame Frame
	for i := range len(images) + 1 {
		if err := loop.Read(&f); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			firstFrame.setSize(f.Width, f.Height)
			copy(firstFrame.Pix, f.Pix)
		}
	}
	if string(f.Pix) != string(firstFrame.Pix) {
		t.Error("a looping folder does not come back to its first image")
	}
}

func TestFolderSkipsUnreadableImages(t *testing.T) {
	samples := testenv.SharedData(t, "images", "samples")
	dir := t.TempDir()
	for name, from := range map[string]string{"a.bmp": "cat.bmp", "c.jpg": "owl.jpg"} {
		data, err := os.ReadFile(filepath.Join(samples, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "b.jpg"), []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Parse(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var skipped, failures []error
	g := NewGrabber(src, GrabberOptions{Clock: newFakeClock(), MaxFailures: 3,
		OnBadFrame: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			skipped = append(skipped, err)
		},
		OnError: func(err error, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			failures = append(failures, err)
		}})
	defer g.Close()
	owl, err := preprocess.Decode(filepath.Join(dir, "c.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	ctx := context.Background()
	// Whatever frames the consumer misses, it eventually sees the owl,
	// which comes after the broken file.
	for f.Width != owl.Bounds().Dx() || f.Height != owl.Bounds().Dy() {
		if err := g.Latest(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}
	g.Close()
	mu.Lock()
	defer mu.Unlock()
	// The broken image is skipped and said, by name; the folder is not
	// taken for a failing camera.
	if len(skipped) != 1 || !errors.Is(skipped[0], ErrBadFrame) || !strings.Contains(skipped[0].Error(), "b.jpg") || len(failures) != 0 {
		t.Errorf("skipped %q, failures %q: want the broken image skipped by name, no failure", skipped, failures)
	}
	if s := g.Stats(); s.BadFrames != 1 || s.LastBadFrame != skipped[0] || s.Reopens != 0 {
		t.Errorf("stats %+v: want 1 bad frame, no reopen", s)
	}
}

// TestFolderRemoved: a folder camera that disappears fails as a camera
// (no such file or folder), not as an unreadable image.
func TestFolderRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "frames")
	os.Mkdir(dir, 0o755)
	data, err := os.ReadFile(testenv.SharedData(t, "images", "samples", "cat.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.bmp", "b.bmp"} {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	src, err := Open(dir, Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	if err := src.Read(&f); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	if err := src.Read(&f); err == nil || errors.Is(err, ErrBadFrame) {
		t.Errorf("read after the folder went: %v, want a failure of the camera", err)
	}
	src.Close()
	if err := src.Open(); err == nil || err.Error() != "camera "+dir+": no such file or folder" {
		t.Errorf("open after the folder went: %v", err)
	}
}

func TestFolderErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := Open(empty, Options{}); err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), "no images") {
		t.Errorf("empty folder: %v", err)
	}
}
