package firmware

import (
	"slices"
	"time"
)

// Clock is the daemon's time, injectable for tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the system clock.
var RealClock Clock = realClock{}

// intervalStats accumulates one status interval's frames and inference
// times.
type intervalStats struct {
	start  time.Time
	frames int
	infer  []time.Duration
}

// maxInferSamples bounds the memory of a long interval at a high frame
// rate; the median of the first samples is still representative.
const maxInferSamples = 1 << 14

func (s *intervalStats) add(infer time.Duration) {
	s.frames++
	if len(s.infer) < maxInferSamples {
		s.infer = append(s.infer, infer)
	}
}

// fps is the frame rate over the interval up to now.
func (s *intervalStats) fps(now time.Time) float64 {
	elapsed := now.Sub(s.start).Seconds()
	if elapsed <= 0 {
		return 0
	}
	return float64(s.frames) / elapsed
}

// medianInfer is the median inference time, 0 without frames.
func (s *intervalStats) medianInfer() time.Duration {
	if len(s.infer) == 0 {
		return 0
	}
	sorted := slices.Clone(s.infer)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func (s *intervalStats) reset(now time.Time) {
	s.start, s.frames, s.infer = now, 0, s.infer[:0]
}
