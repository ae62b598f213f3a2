package camera

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/preprocess"
)

// Collect saves frames at most one per Every of frame time, numbered after
// what the folder already holds, as JPEGs of the frames' pictures.
func TestCollectSavesFreshFramesNumberedAfterExistingOnes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "photos", "open")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"000007.jpg", "notes.txt", "+9.jpg", "000003.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("kept"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clock := newFakeClock()
	src := NewSynthetic(64, 48, Options{FPS: 10, Clock: clock})
	var progress []string
	saved, err := Collect(context.Background(), src, dir, CollectOptions{Frames: 3, Every: 250 * time.Millisecond,
		Saved: func(path string, n, total int) { progress = append(progress, filepath.Base(path)) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"000008.jpg", "000009.jpg", "000010.jpg"}
	if !slices.Equal(progress, want) || len(saved) != 3 || filepath.Base(saved[2]) != want[2] {
		t.Fatalf("saved %v (progress %v), want %v", saved, progress, want)
	}
	// Frames come every 100 ms: with 250 ms between saves, frames 1, 4 and
	// 7 are saved, and 7 frames read in all.
	if got := len(clock.slept()); got != 6 {
		t.Errorf("%d frames paced, want 6 after the first", got)
	}
	for i, path := range saved {
		img, err := preprocess.Decode(path)
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		f.setSize(64, 48)
		SyntheticPattern(&f, uint64(1+3*i))
		want, _ := f.RGB8(nil)
		got := preprocess.ToRGB8(img)
		if got.W != 64 || got.H != 48 {
			t.Fatalf("%s is %dx%d, want 64x48", path, got.W, got.H)
		}
		var diff int
		for j := range got.Pix {
			diff += abs(int(got.Pix[j]) - int(want.Pix[j]))
		}
		if mean := float64(diff) / float64(len(got.Pix)); mean > 6 {
			t.Errorf("%s differs from frame %d by %.1f levels on average", path, 1+3*i, mean)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "000007.jpg")); string(b) != "kept" {
		t.Error("an existing photo was overwritten")
	}
}

func abs(v int) int { return max(v, -v) }

// A name taken meanwhile (another collect into the same folder) is
// skipped, never replaced.
func TestSaveJPEGNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "000005.jpg"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	var f Frame
	f.setSize(8, 8)
	img, err := f.rgba(nil)
	if err != nil {
		t.Fatal(err)
	}
	path, n, err := saveJPEG(dir, 5, img, 90)
	if err != nil || n != 6 || filepath.Base(path) != "000006.jpg" {
		t.Fatalf("saved %s as number %d (%v), want 000006.jpg", path, n, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "000005.jpg")); string(b) != "kept" {
		t.Error("000005.jpg was overwritten")
	}
}

// A folder or video file that ends stops the collection with what was
// saved; bad options are refused before anything is opened.
func TestCollectEndsWithItsSource(t *testing.T) {
	frames := t.TempDir()
	var f Frame
	f.setSize(16, 16)
	img, _ := f.rgba(nil)
	for i := range 2 {
		if _, _, err := saveJPEG(frames, i+1, img, 90); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "cls")
	saved, err := Collect(context.Background(), NewFolder(frames, Options{}), out, CollectOptions{Frames: 5})
	if err != nil || len(saved) != 2 {
		t.Fatalf("saved %v, %v: want the folder's 2 frames", saved, err)
	}
	for _, opt := range []CollectOptions{{Frames: 0}, {Frames: 1, Quality: 101}} {
		if _, err := Collect(context.Background(), NewFolder(frames, Options{}), out, opt); err == nil || !strings.Contains(err.Error(), "want") {
			t.Errorf("options %+v: error %v, want one saying what is wanted", opt, err)
		}
	}
}

// SaveFrame numbers a frame as Collect does, after the folder's highest
// number, creating the folder, and refuses a frame that does not hold its
// size.
func TestSaveFrameNumbersAfterTheFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	var f Frame
	f.setSize(16, 12)
	SyntheticPattern(&f, 3)
	var names []string
	for range 2 {
		path, err := SaveFrame(dir, &f)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(path))
	}
	if err := os.WriteFile(filepath.Join(dir, "000041.jpg"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := SaveFrame(dir, &f)
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, filepath.Base(path))
	if want := []string{"000001.jpg", "000002.jpg", "000042.jpg"}; !slices.Equal(names, want) {
		t.Errorf("saved %v, want %v", names, want)
	}
	img, err := preprocess.Decode(path)
	if err != nil || img.Bounds().Dx() != 16 || img.Bounds().Dy() != 12 {
		t.Errorf("%s: %v, %v", path, img, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "000041.jpg")); string(b) != "kept" {
		t.Error("an existing photo was overwritten")
	}
	bad := Frame{Width: 16, Height: 12, Stride: 48, Pix: make([]byte, 100)}
	if _, err := SaveFrame(dir, &bad); err == nil {
		t.Error("a frame larger than its buffer was saved")
	}
}
