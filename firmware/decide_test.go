package firmware

import (
	"testing"
	"time"
)

// frame is one classified frame of a scripted sequence: the score of the
// label "tabby" (0 for a frame where it is not among the top classes).
func tabby(score float32) []Score {
	if score == 0 {
		return []Score{{Label: "dog", Index: 1, Score: 0.9}}
	}
	return []Score{{Label: "tabby", Index: 281, Score: score}, {Label: "dog", Index: 1, Score: 1 - score}}
}

func TestDetectorHysteresis(t *testing.T) {
	const (
		u = Unchanged
		A = Activated
		R = Released
	)
	tests := []struct {
		name            string
		frames, release int
		scores          []float32
		want            []Change
	}{
		{"activates on the third frame", 3, 2, []float32{.6, .6, .6, .6}, []Change{u, u, A, u}},
		{"a miss restarts the count", 3, 2, []float32{.6, .6, .4, .6, .6, .6}, []Change{u, u, u, u, u, A}},
		{"a score exactly at min_score detects", 1, 1, []float32{.5, 0}, []Change{A, R}},
		{"releases after two misses", 1, 2, []float32{.9, 0, 0, 0}, []Change{A, u, R, u}},
		{"a hit while active resets the release count", 1, 2, []float32{.9, 0, .9, 0, 0}, []Change{A, u, u, u, R}},
		{"reactivates after a release", 2, 1, []float32{.9, .9, 0, .9, .9}, []Change{u, A, R, u, A}},
		{"never detects below min_score", 1, 1, []float32{.49, .3, .1}, []Change{u, u, u}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := &Rule{Labels: []string{"tabby"}, MinScore: 0.5, Frames: tt.frames, Release: tt.release, Mode: ModeOn}
			d := NewDetector(rule)
			t0 := time.Unix(1000, 0)
			for i, s := range tt.scores {
				if got := d.Observe(tabby(s), t0.Add(time.Duration(i)*100*time.Millisecond)); got != tt.want[i] {
					t.Fatalf("frame %d (score %v): %v, want %v", i, s, got, tt.want[i])
				}
			}
		})
	}
}

func TestDetectorBestLabel(t *testing.T) {
	d := NewDetector(&Rule{Labels: []string{"tabby", "Egyptian cat"}, MinScore: 0.2, Frames: 1, Release: 1})
	scores := []Score{{Label: "Egyptian cat", Score: 0.3}, {Label: "tabby", Score: 0.45}, {Label: "dog", Score: 0.25}}
	if d.Observe(scores, time.Unix(0, 0)) != Activated || d.Label != "tabby" || d.Score != 0.45 {
		t.Errorf("activated by %q %v, want tabby 0.45", d.Label, d.Score)
	}
}

func TestDetectorLevels(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type probe struct {
		at    int // ms after activation
		level bool
		edge  int // next edge in ms after activation, -1 for none
	}
	tests := []struct {
		name   string
		rule   Rule
		probes []probe
	}{
		{"on", Rule{Mode: ModeOn}, []probe{{0, true, -1}, {5000, true, -1}}},
		{"pulse", Rule{Mode: ModePulse, Pulse: 200 * time.Millisecond}, []probe{{0, true, 200}, {199, true, 200}, {200, false, -1}, {900, false, -1}}},
		{"blink", Rule{Mode: ModeBlink, Blink: 250 * time.Millisecond}, []probe{{0, true, 250}, {249, true, 250}, {250, false, 500}, {500, true, 750}, {1010, true, 1250}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := tt.rule
			rule.Labels, rule.MinScore, rule.Frames, rule.Release = []string{"tabby"}, 0.5, 1, 1
			d := NewDetector(&rule)
			if d.Level(t0) {
				t.Fatal("high before any detection")
			}
			if _, ok := d.NextEdge(t0); ok {
				t.Fatal("an edge scheduled before any detection")
			}
			d.Observe(tabby(0.9), t0)
			for _, p := range tt.probes {
				if got := d.Level(ms(p.at)); got != p.level {
					t.Errorf("level at %d ms: %v, want %v", p.at, got, p.level)
				}
				edge, ok := d.NextEdge(ms(p.at))
				switch {
				case p.edge < 0 && ok:
					t.Errorf("edge at %v after %d ms, want none", edge.Sub(t0), p.at)
				case p.edge >= 0 && (!ok || !edge.Equal(ms(p.edge))):
					t.Errorf("after %d ms: next edge %v (%v), want %d ms", p.at, edge.Sub(t0), ok, p.edge)
				}
			}
			// After release, on and blink go low at once; a pulse finishes.
			d.Observe(tabby(0), ms(100))
			want := rule.Mode == ModePulse
			if got := d.Level(ms(150)); got != want {
				t.Errorf("level after release: %v, want %v", got, want)
			}
			d.Reset()
			if d.Level(ms(150)) {
				t.Error("Reset left the pin active")
			}
		})
	}
}
