package teach

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/internal/testmodel"
	"neonet.dev/neonet/modelfile"
)

func TestCheckLabel(t *testing.T) {
	for _, ok := range []string{"open", "tiger cat", "Garage-door_2", "vélo", strings.Repeat("x", MaxLabel)} {
		if err := CheckLabel(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", ".hidden", "a/b", `a\b`, "../etc", " open", "open ", "a\tb", "a\nb",
		strings.Repeat("x", MaxLabel+1), "\xff"} {
		if err := CheckLabel(bad); err == nil || !strings.Contains(err.Error(), "want 1 to 64 printable characters") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// frame is frame seq of the synthetic camera's pattern, w x h.
func frame(w, h int, seq uint64) *camera.Frame {
	f := &camera.Frame{Width: w, Height: h, Stride: 3 * w, Pix: make([]byte, 3*w*h)}
	camera.SyntheticPattern(f, seq)
	return f
}

// save saves n frames into the class folder of label.
func save(t *testing.T, tc *Teacher, label string, n int) []Saved {
	t.Helper()
	var saved []Saved
	for i := range n {
		s, err := tc.Save(label, frame(64, 48, uint64(7*len(label)+i)))
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, s)
	}
	return saved
}

// TestSaveCountsAndRemoves: frames are saved numbered into their class
// folders, never over a photo; the counts follow; a class is removed
// with its photos.
func TestSaveCountsAndRemoves(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "classes")
	tc := New(dir, nil)
	defer tc.Close()
	if s := tc.Status(); len(s.Classes) != 0 || s.Error != "" {
		t.Errorf("a folder not made yet: %+v", s)
	}
	if err := os.MkdirAll(filepath.Join(dir, "open"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "open", "000002.jpg"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := tc.Version()
	saved := save(t, tc, "open", 2)
	if saved[0].File != "open/000003.jpg" || saved[1].File != "open/000004.jpg" || saved[1].Photos != 3 || saved[1].Class != "open" {
		t.Errorf("saved %+v", saved)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "open", "000002.jpg")); string(b) != "kept" {
		t.Error("a photo was overwritten")
	}
	if tc.Version() == v {
		t.Error("saving did not change the version")
	}
	save(t, tc, "closed", 1)
	if _, err := tc.Save("../up", frame(8, 8, 1)); err == nil {
		t.Error("saved into ../up")
	}
	want := []Class{{"closed", 1}, {"open", 3}}
	if got := tc.Status().Classes; !slices.Equal(got, want) {
		t.Errorf("classes %v, want %v", got, want)
	}
	if err := tc.Remove("closed"); err != nil {
		t.Fatal(err)
	}
	if err := tc.Remove("closed"); err == nil {
		t.Error("removed a class that is not there")
	}
	if got := tc.Status().Classes; !slices.Equal(got, want[1:]) {
		t.Errorf("classes after the removal %v", got)
	}
}

// installer records the files it is given and answers with err.
type installer struct {
	files []string
	err   error
}

func (in *installer) install(_ context.Context, file string) error {
	in.files = append(in.files, file)
	return in.err
}

// wait returns the job once it has ended.
func wait(t *testing.T, tc *Teacher) *Job {
	t.Helper()
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(5 * time.Millisecond) {
		if j := tc.Status().Training; j != nil && j.State != Running {
			return j
		}
	}
	t.Fatalf("the training did not end: %+v", tc.Status().Training)
	return nil
}

// TestTrainingInstallsTheNewModel: a training on the running model's file
// writes the new model beside it, with the classes as labels, and hands it
// to the installer; the job reports the counts and accuracies. A model so
// trained trains again (its head is cut).
func TestTrainingInstallsTheNewModel(t *testing.T) {
	backbone := testmodel.File(t)
	tc := New(filepath.Join(t.TempDir(), "classes"), nil)
	defer tc.Close()
	in := &installer{}
	tc.install = in.install
	save(t, tc, "a", 5)
	save(t, tc, "bb", 5)
	if err := tc.Train(backbone); err != nil {
		t.Fatal(err)
	}
	j := wait(t, tc)
	if j.State != Done || j.Error != "" || j.Model != backbone || j.Seconds <= 0 {
		t.Fatalf("job %+v", j)
	}
	if want := []Count{{"a", 4, 1, 0}, {"bb", 4, 1, 0}}; !slices.Equal(j.Counts, want) || j.ValAcc == nil {
		t.Errorf("counts %v (val %v), want %v", j.Counts, j.ValAcc, want)
	}
	if len(in.files) != 1 || in.files[0] != NewModel(backbone) || !strings.HasSuffix(in.files[0], "shiftresnet20.new.neonet") {
		t.Fatalf("installed %v", in.files)
	}
	m, err := modelfile.Load(in.files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Labels, []string{"a", "bb"}) {
		t.Errorf("labels %v", m.Labels)
	}

	// The trained model as the backbone, with a third class.
	save(t, tc, "c", 3)
	if err := tc.Train(in.files[0]); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, tc); j.State != Done || len(j.Counts) != 3 {
		t.Fatalf("training again: %+v", j)
	}
	if m, err := modelfile.Load(in.files[1]); err != nil || !slices.Equal(m.Labels, []string{"a", "bb", "c"}) {
		t.Errorf("trained again: %v, %v", m, err)
	}
}

// TestFailedTrainings: a training that fails installs nothing; a model the
// installer refuses is kept beside the running one and the job says why.
func TestFailedTrainings(t *testing.T) {
	backbone := testmodel.File(t)
	in := &installer{err: errors.New(`rule[1].labels: "cat" is not a class of the model`)}
	tc := New(filepath.Join(t.TempDir(), "classes"), in.install)
	defer tc.Close()
	save(t, tc, "a", 3)
	if err := tc.Train(backbone); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, tc); j.State != Failed || !strings.Contains(j.Error, "only one class") || j.Model != "" || len(in.files) != 0 {
		t.Errorf("one class: %+v, installed %v", j, in.files)
	}
	save(t, tc, "b", 3)
	if err := tc.Train(backbone); err != nil {
		t.Fatal(err)
	}
	j := wait(t, tc)
	if j.State != Failed || !strings.Contains(j.Error, "refused, the old one keeps running: rule[1].labels") ||
		j.Model != NewModel(backbone) || len(j.Counts) != 2 {
		t.Errorf("refused: %+v", j)
	}
	if _, err := os.Stat(NewModel(backbone)); err != nil {
		t.Errorf("the refused model was not kept: %v", err)
	}
}

// TestOneTrainingAtATime: while a training runs, another is refused and
// no class can be removed; Close stops it.
func TestOneTrainingAtATime(t *testing.T) {
	installing := make(chan struct{})
	tc := New(filepath.Join(t.TempDir(), "classes"), func(ctx context.Context, _ string) error {
		close(installing)
		<-ctx.Done()
		return ctx.Err()
	})
	save(t, tc, "a", 2)
	save(t, tc, "b", 2)
	if err := tc.Train(testmodel.File(t)); err != nil {
		t.Fatal(err)
	}
	<-installing
	if j := tc.Status().Training; j.State != Running || j.Stage != "installing the new model" {
		t.Errorf("job %+v", j)
	}
	if err := tc.Train("other.neonet"); !errors.Is(err, ErrBusy) {
		t.Errorf("a second training: %v", err)
	}
	if err := tc.Remove("a"); !errors.Is(err, ErrBusy) {
		t.Errorf("removing a class during a training: %v", err)
	}
	tc.Close()
	if j := tc.Status().Training; j.State != Failed || !strings.Contains(j.Error, "context canceled") {
		t.Errorf("after Close: %+v", j)
	}
	if err := tc.Train("other.neonet"); err == nil {
		t.Error("a training started after Close")
	}
}

// TestStop: Stop ends a training while it reads the photos or while its
// model is installed; neither installs anything, and the next training
// runs.
func TestStop(t *testing.T) {
	in := &installer{}
	installing := make(chan struct{}, 1)
	tc := New(filepath.Join(t.TempDir(), "classes"), func(ctx context.Context, file string) error {
		if len(in.files) == 0 {
			installing <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}
		return in.install(ctx, file)
	})
	defer tc.Close()
	backbone := testmodel.File(t)
	if err := tc.Stop(); !errors.Is(err, ErrIdle) {
		t.Errorf("Stop with no training: %v", err)
	}
	save(t, tc, "a", 4)
	save(t, tc, "b", 4)
	if err := tc.Train(backbone); err != nil {
		t.Fatal(err)
	}
	if err := tc.Stop(); err != nil { // at once: before the photos are read
		t.Fatal(err)
	}
	if j := wait(t, tc); j.State != Failed || j.Error != errStopped.Error() || j.Model != "" {
		t.Errorf("stopped while reading: %+v", j)
	}
	if _, err := os.Stat(NewModel(backbone)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stopped training left a model: %v", err)
	}

	if err := tc.Train(backbone); err != nil {
		t.Fatal(err)
	}
	<-installing
	in.files = append(in.files, "") // the next install goes through
	if err := tc.Stop(); err != nil {
		t.Fatal(err)
	}
	j := wait(t, tc)
	if j.State != Failed || !strings.HasPrefix(j.Error, errStopped.Error()+" (the new model is kept as ") || j.Model != NewModel(backbone) {
		t.Errorf("stopped while installing: %+v", j)
	}
	if err := tc.Train(backbone); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, tc); j.State != Done || len(in.files) != 2 {
		t.Errorf("a training after the stops: %+v, installed %v", j, in.files)
	}
}
