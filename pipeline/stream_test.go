package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/pipeline"
)

// fakeFrames delivers numbered frames, or fails with err.
type fakeFrames struct {
	seq uint64
	err error
}

func (f *fakeFrames) Next(ctx context.Context, dst *camera.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.err != nil {
		return f.err
	}
	f.seq++
	dst.Seq = f.seq
	return nil
}

func (f *fakeFrames) String() string { return "fake" }

// fakeModel scores every frame the same, or fails where told; each
// Classify takes 5 ms of the fake clock.
type fakeModel struct {
	prepareErr, classifyErr error
	clock                   *time.Time
	prepared                uint64
}

func (m *fakeModel) Prepare(f *camera.Frame) error {
	m.prepared = f.Seq
	return m.prepareErr
}

func (m *fakeModel) Classify() ([]classify.Prediction, error) {
	*m.clock = m.clock.Add(5 * time.Millisecond)
	return []classify.Prediction{{Index: 0, Label: "cat", Score: 1}}, m.classifyErr
}

// Each failure is reported at the step it happened, and a classified
// frame carries its scores and the model's time.
func TestStreamStages(t *testing.T) {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	cam := &fakeFrames{}
	s := pipeline.Stream{Camera: cam, Now: clock}
	m := &fakeModel{clock: &now}

	r := s.Next(t.Context(), m)
	if r.Err != nil || len(r.Scores) != 1 || r.Infer != 5*time.Millisecond || s.Frame.Seq != 1 || m.prepared != 1 {
		t.Errorf("classified frame: %+v, frame %d, prepared %d", r, s.Frame.Seq, m.prepared)
	}
	m.classifyErr = errors.New("arena exhausted")
	if r := s.Next(t.Context(), m); r.Stage != pipeline.Run || r.Err != m.classifyErr {
		t.Errorf("model failure: %+v", r)
	}
	m.prepareErr = errors.New("bad frame")
	if r := s.Next(t.Context(), m); r.Stage != pipeline.Prepare || r.Err != m.prepareErr {
		t.Errorf("preprocessing failure: %+v", r)
	}
	cam.err = errors.New("unplugged")
	if r := s.Next(t.Context(), m); r.Stage != pipeline.Capture || r.Err != cam.err {
		t.Errorf("camera failure: %+v", r)
	}
}

func TestStreamClassify(t *testing.T) {
	now := time.Unix(0, 0)
	m := &fakeModel{clock: &now}
	s := pipeline.Stream{Camera: &fakeFrames{}}
	var seen []uint64
	n, err := s.Classify(t.Context(), m, 3, func(pipeline.Result) error {
		seen = append(seen, s.Frame.Seq)
		return nil
	})
	if err != nil || n != 3 || len(seen) != 3 || seen[2] != 3 {
		t.Errorf("3 frames: classified %d (%v), err %v", n, seen, err)
	}

	// Open-ended: the end of the context is the normal end.
	ctx, cancel := context.WithCancel(t.Context())
	n, err = s.Classify(ctx, m, 0, func(pipeline.Result) error {
		cancel()
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("open-ended run cancelled after a frame: %d frames, err %v", n, err)
	}

	// A model failure ends the run with an error naming the frame.
	m.classifyErr = errors.New("arena exhausted")
	_, err = s.Classify(t.Context(), m, 0, func(pipeline.Result) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "frame 5 of fake: arena exhausted") {
		t.Errorf("model failure: %v", err)
	}
	stop := errors.New("stop")
	m.classifyErr = nil
	if _, err := s.Classify(t.Context(), m, 0, func(pipeline.Result) error { return stop }); err != stop {
		t.Errorf("an error of the callback ends the run: %v", err)
	}

	// The end of a file that does not loop is the end of the run, with
	// what was classified.
	cam := &fakeFrames{}
	s.Camera = cam
	n, err = s.Classify(t.Context(), m, 0, func(pipeline.Result) error {
		if s.Frame.Seq == 4 {
			cam.err = fmt.Errorf("camera clip.mp4: %w after 4 frames", camera.ErrEndOfStream)
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Errorf("a file of 4 frames: %d classified, err %v; want 4 and no error", n, err)
	}
}
