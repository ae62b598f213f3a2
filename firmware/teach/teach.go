package teach

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/preprocess"
	"neonet.dev/neonet/train"
)

// ValSplit is the fraction of each class's photos, the latest ones, kept
// aside to measure the new model's accuracy on photos it was not trained
// on (train.Split).
const ValSplit = 0.2

// MaxLabel is the longest class name, in bytes.
const MaxLabel = 64

// rescan is how long the class counts are kept before the folder is read
// again (photos added by neonet collect meanwhile).
const rescan = 2 * time.Second

// ErrBusy is returned while a training runs.
var ErrBusy = errors.New("a training is running: wait for its end or stop it")

// ErrIdle is returned by Stop when no training runs.
var ErrIdle = errors.New("no training is running")

// errStopped is why a training that Stop ended failed.
var errStopped = errors.New("stopped before its end; the old model keeps running")

// Installer makes a model file the daemon's model, or says why not (the
// old model then keeps running); firmware.Daemon.Install is one.
type Installer func(ctx context.Context, file string) error

// Teacher is a folder of class folders and its trainings. Its methods are
// safe for concurrent use.
type Teacher struct {
	dir     string
	install Installer
	workers int
	ctx     context.Context // ended by Close: a training stops
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	version atomic.Uint64

	mu      sync.Mutex
	classes []Class
	scanErr error
	scanned time.Time
	job     *Job               // the running or the last training; nil before the first
	stop    context.CancelFunc // ends the running training (Stop)
}

// Class is a class folder and how many photos it holds.
type Class struct {
	Name   string `json:"name"`
	Photos int    `json:"photos"`
}

// Job is a training: while it runs, its stage and progress; once it has
// ended, its result.
type Job struct {
	State   string    `json:"state"` // "running", "done" or "failed"
	Stage   string    `json:"stage"` // what it does now, or did last
	Done    int       `json:"done"`  // photos of the stage done, of Total
	Total   int       `json:"total"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"` // so far, or in all
	// The result of the training itself; Counts is empty when it failed
	// before reading the photos.
	Counts   []Count  `json:"counts,omitempty"`
	TrainAcc float64  `json:"train_acc"`
	ValAcc   *float64 `json:"val_acc"` // null without validation photos
	Skipped  []string `json:"skipped,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Model is the model file: the daemon's, once installed; the new
	// one, kept beside it, when the daemon refused it.
	Model string `json:"model,omitempty"`
	Error string `json:"error,omitempty"`
}

// Count is one class's photos in a training.
type Count struct {
	Name    string `json:"name"`
	Train   int    `json:"train"`
	Val     int    `json:"val"`
	Skipped int    `json:"skipped"`
}

// Job states.
const (
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Status is the folder's classes and the last training.
type Status struct {
	Dir      string  `json:"dir"`
	Classes  []Class `json:"classes"`
	Error    string  `json:"error,omitempty"` // the folder could not be read
	Training *Job    `json:"training,omitempty"`
	Workers  int     `json:"workers"` // of a training
}

// New returns a Teacher of the class folders in dir (created when the
// first photo is saved), whose trainings end by calling install.
func New(dir string, install Installer) *Teacher {
	ctx, cancel := context.WithCancel(context.Background())
	return &Teacher{dir: dir, install: install, workers: max(1, runtime.NumCPU()-1), ctx: ctx, cancel: cancel}
}

// Dir is the folder of class folders.
func (t *Teacher) Dir() string { return t.dir }

// CheckLabel accepts a class name fit to be a folder's name and a model's
// label: 1 to MaxLabel bytes of printable UTF-8 without "/" or "\",
// neither starting with "." nor with spaces at either end.
func CheckLabel(label string) error {
	ok := label != "" && len(label) <= MaxLabel && utf8.ValidString(label) && label == strings.TrimSpace(label) &&
		!strings.HasPrefix(label, ".") && !strings.ContainsAny(label, `/\`)
	for _, r := range label {
		ok = ok && unicode.IsPrint(r)
	}
	if !ok {
		return fmt.Errorf("class name %q: want 1 to %d printable characters, without / or \\, not starting with a dot or a space", label, MaxLabel)
	}
	return nil
}

// Saved is a photo saved into a class folder.
type Saved struct {
	File   string `json:"file"`   // LABEL/000001.jpg
	Class  string `json:"class"`  // the label
	Photos int    `json:"photos"` // in the class folder now
}

// Save saves a frame into the class folder of label as neonet collect
// saves its frames: numbered after the folder's photos, never replacing
// one.
func (t *Teacher) Save(label string, f *camera.Frame) (Saved, error) {
	if err := CheckLabel(label); err != nil {
		return Saved{}, err
	}
	path, err := camera.SaveFrame(filepath.Join(t.dir, label), f)
	if err != nil {
		return Saved{}, err
	}
	t.changed()
	s := Saved{File: label + "/" + filepath.Base(path), Class: label}
	for _, c := range t.Status().Classes {
		if c.Name == label {
			s.Photos = c.Photos
		}
	}
	return s, nil
}

// Remove deletes the class folder of label and its photos; not while a
// training reads them.
func (t *Teacher) Remove(label string) error {
	if err := CheckLabel(label); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != nil && t.job.State == Running {
		return ErrBusy
	}
	dir := filepath.Join(t.dir, label)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("class %q: %w", label, err)
	}
	err := os.RemoveAll(dir)
	t.scanned = time.Time{}
	t.version.Add(1)
	return err
}

// changed makes the next Status read the folder again.
func (t *Teacher) changed() {
	t.mu.Lock()
	t.scanned = time.Time{}
	t.mu.Unlock()
	t.version.Add(1)
}

// Version changes whenever the status does (but for photos that other
// programs add to the folder).
func (t *Teacher) Version() uint64 { return t.version.Load() }

// Status returns the classes (the folder read again when its counts are
// older than a few seconds or something changed) and the last training.
func (t *Teacher) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	if time.Since(t.scanned) > rescan {
		t.classes, t.scanErr = scan(t.dir)
		t.scanned = time.Now()
	}
	s := Status{Dir: t.dir, Classes: append([]Class(nil), t.classes...), Workers: t.workers}
	if t.scanErr != nil {
		s.Error = t.scanErr.Error()
	}
	if t.job != nil {
		j := *t.job
		if j.State == Running {
			j.Seconds = time.Since(j.Started).Seconds()
		}
		s.Training = &j
	}
	return s
}

// scan counts the photos of each class folder of dir, as train reads
// them; a dir that does not exist yet has none.
func scan(dir string) ([]Class, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var classes []Class
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		c := Class{Name: e.Name()}
		for _, f := range files {
			if !f.IsDir() && preprocess.IsImageFile(f.Name()) {
				c.Photos++
			}
		}
		classes = append(classes, c)
	}
	return classes, nil
}

// NewModel is where a training on backbone writes its model: beside it,
// "model.neonet" giving "model.new.neonet".
func NewModel(backbone string) string {
	return strings.TrimSuffix(backbone, ".neonet") + ".new.neonet"
}

// Train starts a training on the class folders with the model file
// backbone (the daemon's running model) and returns at once; ErrBusy while
// one runs. Status follows it; its end is an install of the new model.
func (t *Teacher) Train(backbone string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != nil && t.job.State == Running {
		return ErrBusy
	}
	if t.ctx.Err() != nil {
		return errors.New("teach: closed")
	}
	t.job = &Job{State: Running, Stage: "reading the photos", Started: time.Now()}
	ctx, stop := context.WithCancelCause(t.ctx)
	t.stop = func() { stop(errStopped) }
	t.version.Add(1)
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer t.stop()
		t.run(ctx, backbone)
	}()
	return nil
}

// Stop ends the running training before its model is installed (once
// the install has begun, the daemon's answer stands): it fails, saying
// it was stopped, and the old model keeps running. It returns at once;
// ErrIdle when no training runs.
func (t *Teacher) Stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == nil || t.job.State != Running {
		return ErrIdle
	}
	t.stop()
	return nil
}

// run is a training, from the photos to the installed model; it ends
// early when ctx does.
func (t *Teacher) run(ctx context.Context, backbone string) {
	out := NewModel(backbone)
	_, rep, err := train.RunContext(ctx, train.Config{Backbone: backbone, Data: t.dir, ValSplit: ValSplit, Out: out,
		Options: train.Options{Workers: t.workers, Progress: t.progress}})
	if err == nil && ctx.Err() != nil { // stopped once the embeddings were made: no install
		os.Remove(out)
	}
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		t.update(func(j *Job) { j.result(rep, t.dir) })
		t.end(err, "")
		return
	}
	t.update(func(j *Job) {
		j.result(rep, t.dir)
		j.Stage = "installing the new model"
	})
	if err := t.install(ctx, out); err != nil {
		if ctx.Err() != nil {
			t.end(fmt.Errorf("%w (the new model is kept as %s)", context.Cause(ctx), out), out)
			return
		}
		t.end(fmt.Errorf("the new model was refused, the old one keeps running: %w (the new model is kept as %s)", err, out), out)
		return
	}
	t.end(nil, backbone)
}

// progress is train's progress callback: each stage, then each photo.
func (t *Teacher) progress(stage string) func(done, total int) {
	t.update(func(j *Job) { j.Stage, j.Done, j.Total = stage, 0, 0 })
	return func(done, total int) { t.update(func(j *Job) { j.Done, j.Total = done, total }) }
}

// update changes the running job.
func (t *Teacher) update(change func(*Job)) {
	t.mu.Lock()
	change(t.job)
	t.mu.Unlock()
	t.version.Add(1)
}

// end finishes the job: done with the installed model, or failed with err
// (and the new model file, when one was written).
func (t *Teacher) end(err error, model string) {
	t.update(func(j *Job) {
		j.State, j.Model, j.Seconds = Done, model, time.Since(j.Started).Seconds()
		if err != nil {
			j.State, j.Error = Failed, err.Error()
		}
		t.scanned = time.Time{} // the counts as the training saw them
	})
}

// result copies what a training report on the class folders of dir says
// into the job.
func (j *Job) result(rep *train.Report, dir string) {
	if rep == nil {
		return
	}
	j.Counts = j.Counts[:0]
	for _, c := range rep.Counts {
		j.Counts = append(j.Counts, Count{Name: c.Name, Train: c.Train, Val: c.Val, Skipped: c.Skipped})
	}
	j.TrainAcc = rep.Train.Accuracy
	if rep.Val.Photos > 0 {
		acc := rep.Val.Accuracy
		j.ValAcc = &acc
	}
	for _, f := range rep.Skipped {
		rel, err := filepath.Rel(dir, f.Path)
		if err != nil {
			rel = f.Path
		}
		j.Skipped = append(j.Skipped, rel+": "+f.Err)
	}
	j.Warnings = rep.Warnings
}

// Close stops a training that runs (its model is not installed) and waits
// for it to end: at most the photo each worker is on.
func (t *Teacher) Close() error {
	t.cancel()
	t.wg.Wait()
	return nil
}
