package camera

import (
	"context"
	"time"
)

// Clock is the time the camera code sees: real time in production, a fake
// in tests so that pacing and backoff run instantly and deterministically.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or ctx.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer spaces reads of a source that has no rate of its own (a file, a
// folder, the synthetic pattern) as a camera running at fps would.
type pacer struct {
	clock  Clock
	period time.Duration // 0: no pacing
	next   time.Time
}

func newPacer(clock Clock, fps float64) pacer {
	p := pacer{clock: clock}
	if fps > 0 {
		p.period = time.Duration(float64(time.Second) / fps)
	}
	return p
}

// wait blocks until the next frame is due. A reader that fell behind by
// more than a period starts a new schedule rather than bursting to catch up.
func (p *pacer) wait() {
	if p.period == 0 {
		return
	}
	now := p.clock.Now()
	if p.next.IsZero() || now.Sub(p.next) > p.period {
		p.next = now
	}
	if d := p.next.Sub(now); d > 0 {
		_ = p.clock.Sleep(context.Background(), d) // Background is never done
	}
	p.next = p.next.Add(p.period)
}
