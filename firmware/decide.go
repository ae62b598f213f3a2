package firmware

import (
	"time"

	"neonet.dev/neonet/classify"
)

// Score is one class's probability for the current frame.
type Score = classify.Prediction

// Change is what one frame did to a rule.
type Change int

const (
	Unchanged Change = iota
	Activated        // the rule started detecting (after Frames detecting frames)
	Released         // the rule stopped (after Release frames without detection)
)

// Detector is one rule's hysteresis state machine. It is pure logic: the
// caller feeds it each frame's scores and the time, and asks it for the
// pin level at any time.
type Detector struct {
	Rule   *Rule
	active bool
	hits   int       // consecutive detecting frames while inactive
	misses int       // consecutive frames without detection while active
	since  time.Time // when the rule last activated: the phase of pulse and blink

	// The detection that activated the rule, for the log.
	Label string
	Score float32
}

// NewDetector returns an inactive detector for rule.
func NewDetector(rule *Rule) *Detector { return &Detector{Rule: rule} }

// Active reports whether the rule currently detects.
func (d *Detector) Active() bool { return d.active }

// match returns the best-scoring of the rule's labels among scores.
func (d *Detector) match(scores []Score) (label string, score float32, ok bool) {
	for _, s := range scores {
		for _, l := range d.Rule.Labels {
			if s.Label == l && s.Score >= d.Rule.MinScore && s.Score > score {
				label, score, ok = l, s.Score, true
			}
		}
	}
	return label, score, ok
}

// Observe feeds one classified frame. A label missing from scores (the
// classifier reports only the top classes) counts as not detected.
func (d *Detector) Observe(scores []Score, now time.Time) Change {
	label, score, detected := d.match(scores)
	if !d.active {
		if !detected {
			d.hits = 0
			return Unchanged
		}
		d.hits++
		if d.hits < d.Rule.Frames {
			return Unchanged
		}
		d.active, d.hits, d.misses, d.since = true, 0, 0, now
		d.Label, d.Score = label, score
		return Activated
	}
	if detected {
		d.misses = 0
		return Unchanged
	}
	d.misses++
	if d.misses < d.Rule.Release {
		return Unchanged
	}
	d.active, d.misses = false, 0
	return Released
}

// Reset makes the detector inactive and cuts a pulse short, as after a
// restart.
func (d *Detector) Reset() { d.active, d.hits, d.misses, d.since = false, 0, 0, time.Time{} }

// Level is the logical pin level at now (true = active; the pin driver
// applies active_low): in mode "on" the detection state; in "pulse" high
// for Pulse after each activation (the pulse completes even if the rule
// releases first); in "blink" alternating every Blink while active,
// starting high.
func (d *Detector) Level(now time.Time) bool {
	switch d.Rule.Mode {
	case ModePulse:
		return !d.since.IsZero() && now.Sub(d.since) < d.Rule.Pulse && !now.Before(d.since)
	case ModeBlink:
		if !d.active {
			return false
		}
		return (now.Sub(d.since)/d.Rule.Blink)%2 == 0
	default:
		return d.active
	}
}

// NextEdge returns when Level next changes if no frame arrives, and false
// when it will not change on its own.
func (d *Detector) NextEdge(now time.Time) (time.Time, bool) {
	switch d.Rule.Mode {
	case ModePulse:
		end := d.since.Add(d.Rule.Pulse)
		if !d.since.IsZero() && now.Before(end) {
			return end, true
		}
	case ModeBlink:
		if d.active {
			n := now.Sub(d.since)/d.Rule.Blink + 1
			return d.since.Add(n * d.Rule.Blink), true
		}
	}
	return time.Time{}, false
}
