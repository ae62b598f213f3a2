package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/classify"
)

// Stage is the step of the pipeline a frame failed at.
type Stage int

const (
	Capture Stage = iota + 1 // the camera gave no frame
	Prepare                  // the frame could not become the model's input
	Run                      // the model failed
)

// Result is one frame through the pipeline.
type Result struct {
	// Scores are every class's probability, in output order, valid until
	// the model classifies again.
	Scores []classify.Prediction
	Infer  time.Duration // the model's run, preprocessing excluded
	Err    error
	Stage  Stage // where Err arose
}

// Stream classifies a camera's frames, one frame per call to Next.
type Stream struct {
	Camera Frames
	// Frame is the last frame taken: the pixels the model saw, valid until
	// the next call to Next.
	Frame camera.Frame
	// Now times the model; nil is time.Now.
	Now func() time.Time
}

// Next waits for the camera's newest frame, preprocesses it for m and
// classifies it. The model may change from call to call (a reload).
func (s *Stream) Next(ctx context.Context, m Classifier) Result {
	if err := s.Camera.Next(ctx, &s.Frame); err != nil {
		return Result{Err: err, Stage: Capture}
	}
	if err := m.Prepare(&s.Frame); err != nil {
		return Result{Err: err, Stage: Prepare}
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	scores, err := m.Classify()
	r := Result{Scores: scores, Infer: now().Sub(start), Err: err}
	if err != nil {
		r.Stage = Run
	}
	return r
}

// Classify classifies the camera's frames with m until ctx ends, the
// camera's file or folder ends (when it does not loop) or, when frames >
// 0, that many are done, calling each with every frame's result (s.Frame
// is the frame). A frame that cannot be prepared or classified ends it
// with an error naming the frame; the end of ctx ends an open-ended run
// (frames == 0) without error, and so does the end of the file. It returns
// the number of frames classified.
func (s *Stream) Classify(ctx context.Context, m Classifier, frames int, each func(Result) error) (int, error) {
	n := 0
	for ; frames == 0 || n < frames; n++ {
		r := s.Next(ctx, m)
		switch {
		case r.Stage == Capture && ctx.Err() != nil && frames == 0:
			return n, nil // interrupted: the normal end of an open-ended run
		case r.Stage == Capture && errors.Is(r.Err, camera.ErrEndOfStream):
			return n, nil // the whole file was classified
		case r.Stage == Capture:
			return n, r.Err
		case r.Err != nil:
			return n, fmt.Errorf("frame %d of %s: %w", s.Frame.Seq, s.Camera, r.Err)
		}
		if err := each(r); err != nil {
			return n, err
		}
	}
	return n, nil
}
