package pipeline_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/internal/alloctest"
	"neonet.dev/neonet/internal/testmodel"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/pipeline"
	"neonet.dev/neonet/qnet"
)

// An int8 model fed by a camera: its input is what camera.Preprocessor
// makes of the frame, its scores are the probabilities of every class with
// the model's labels, and a frame allocates nothing once warm.
func TestModelOnCameraFrames(t *testing.T) {
	qm := testmodel.ShiftResNet20(t)
	prog, err := qnet.Compile(qm)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	m := pipeline.NewModel(prog)
	s, r := firstFrame(t, "synthetic:96x64", m)
	pre, err := camera.NewPreprocessor(qm.Preprocess, qm.Tensors[qm.Input].Params, 96, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int8, len(m.Input()))
	if err := pre.Run(want, &s.Frame); err != nil {
		t.Fatal(err)
	}
	// The run reuses the input's memory: prepare the frame again to see it.
	if err := m.Prepare(&s.Frame); err != nil || !slices.Equal(m.Input(), want) {
		t.Error("the model's input is not the preprocessed frame")
	}
	var sum float64
	for i, p := range r.Scores {
		sum += float64(p.Score)
		if p.Index != i || p.Label != qm.Labels[i] {
			t.Errorf("score %d: %+v, want label %q", i, p, qm.Labels[i])
		}
	}
	if len(r.Scores) != 10 || math.Abs(sum-1) > 1e-5 {
		t.Errorf("%d scores summing to %v, want 10 probabilities", len(r.Scores), sum)
	}

	for range 3 { // warm: the grabber's buffers are all allocated
		s.Next(t.Context(), m)
	}
	alloctest.Neonet(t, func() {
		for range 5 {
			if r := s.Next(t.Context(), m); r.Err != nil {
				t.Error(r.Err)
			}
		}
	})
}

// The float path classifies a frame as the classifier classifies the same
// picture as an image.
func TestFloatModelMatchesClassifier(t *testing.T) {
	zoo, err := models.Lookup("shiftresnet20")
	if err != nil {
		t.Fatal(err)
	}
	g, err := zoo.Load("")
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := models.DefaultLabels(zoo.Labels)
	model := &classify.Model{Name: zoo.Name, Precision: "fp32", Zoo: zoo, Float: g, Labels: labels}
	m, err := pipeline.NewClassifier(model)
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	s, r := firstFrame(t, "synthetic:40x40", m)
	got := classify.TopK(nil, r.Scores, 3)
	rgb, err := s.Frame.RGB8(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LoadImage(rgb); err != nil {
		t.Fatal(err)
	}
	if want := c.Top(3); !slices.Equal(got, want) {
		t.Errorf("camera path %+v, image path %+v", got, want)
	}
}

// firstFrame opens a camera (closed when the test ends) and takes its first
// frame through m.
func firstFrame(t *testing.T, spec string, m pipeline.Classifier) (*pipeline.Stream, pipeline.Result) {
	t.Helper()
	cam, err := pipeline.OpenCamera(spec, pipeline.CameraOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cam.Close() })
	s := &pipeline.Stream{Camera: cam}
	r := s.Next(t.Context(), m)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	return s, r
}

// A daemon's camera that stays silent reports its last failure; one that
// takes no StaleAfter waits for the context.
func TestCameraReportsItsFailureWhenStale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "frames")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "000.png"))
	cam, err := pipeline.OpenCamera(dir, pipeline.CameraOptions{StaleAfter: 200 * time.Millisecond,
		Options: camera.Options{FPS: 50, Loop: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	var f camera.Frame
	if err := cam.Next(t.Context(), &f); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = cam.Next(ctx, &f)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "frames") {
		t.Errorf("camera gone: %v, want its failure naming the folder", err)
	}
}

func writePNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.White)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// A daemon's camera may be missing at start: opening it is then a failure
// that Next reports, and frames come once it appears.
func TestCameraStartsAbsent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "frames")
	cam, err := pipeline.OpenCamera(dir, pipeline.CameraOptions{StaleAfter: 200 * time.Millisecond, StartAbsent: true,
		Options: camera.Options{FPS: 50, Loop: true}})
	if err != nil {
		t.Fatalf("a missing camera with StartAbsent: %v", err)
	}
	defer cam.Close()
	var f camera.Frame
	if err := cam.Next(t.Context(), &f); err == nil || err.Error() != "camera "+dir+": no such file or folder" {
		t.Errorf("Next before the camera exists: %v", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "000.png"))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		err := cam.Next(ctx, &f)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no frame after the camera appeared: %v", err)
		}
	}
	if _, err := pipeline.OpenCamera(dir+".missing", pipeline.CameraOptions{}); err == nil {
		t.Error("a missing camera without StartAbsent opened")
	}
}
