package ptq

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/internal/zootest"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/quant/calib"
)

// noisePhotos writes n PNG photos of noise into a folder and returns
// their paths. The noise grows from photo to photo, so that the ranges
// widen as they are recorded, and every other photo is large, so that it
// takes longer to decode than the next one.
func noisePhotos(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	var paths []string
	for i := range n {
		size := 32
		if i%2 == 1 {
			size = 480
		}
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		base := [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
		for y := range size {
			for x := range size {
				c := [3]uint8{}
				for k := range 3 {
					c[k] = uint8(min(255, max(0, base[k]+float64(4+8*i)*rng.NormFloat64())))
				}
				img.Set(x, y, color.RGBA{c[0], c[1], c[2], 255})
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("%02d.png", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	return paths
}

// seededShiftResNet20 is the zoo's ShiftResNet-20 with seeded weights:
// small enough for a test to calibrate on many photos.
func seededShiftResNet20(t *testing.T) (models.Model, *graph.Graph) {
	t.Helper()
	m, err := models.Lookup("shiftresnet20")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := zootest.Compile(t, m)
	return m, g
}

// TestCalibrateOnSeveralCoresGivesTheSameModel: however many workers run
// the float model, the images are recorded in their order, so the int8
// model is the same, and progress counts up one image at a time.
func TestCalibrateOnSeveralCoresGivesTheSameModel(t *testing.T) {
	m, g := seededShiftResNet20(t)
	paths := noisePhotos(t, 13)
	quantize := func(workers int) any {
		var seen []int
		c, err := Calibrate(g, m.Preprocess, paths, workers, func(done, total int) {
			if total != len(paths) {
				t.Errorf("progress total %d, want %d", total, len(paths))
			}
			seen = append(seen, done)
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range seen {
			if d != i+1 {
				t.Fatalf("%d workers: progress %v, want 1, 2, 3, ...", workers, seen)
			}
		}
		qm, err := c.Quantize(Meta{Name: "x"}, calib.Auto)
		if err != nil {
			t.Fatal(err)
		}
		return qm
	}
	one := quantize(1)
	for _, w := range []int{2, 5} {
		if !reflect.DeepEqual(one, quantize(w)) {
			t.Errorf("calibration with %d workers differs from one worker", w)
		}
	}
}

// TestCalibrateNamesTheBrokenImage: an unreadable image among good ones
// fails the calibration with its path, with any number of workers.
func TestCalibrateNamesTheBrokenImage(t *testing.T) {
	m, g := seededShiftResNet20(t)
	paths := noisePhotos(t, 9)
	bad := filepath.Join(filepath.Dir(paths[0]), "04b.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths = append(paths[:5], append([]string{bad}, paths[5:]...)...)
	for _, w := range []int{1, 3} {
		_, err := Calibrate(g, m.Preprocess, paths, w, nil)
		if err == nil || !strings.Contains(err.Error(), "04b.png") {
			t.Errorf("%d workers: %v, want an error naming 04b.png", w, err)
		}
	}
}
