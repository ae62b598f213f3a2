package firmware

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIntervalStats(t *testing.T) {
	t0 := time.Unix(100, 0)
	var s intervalStats
	s.reset(t0)
	if s.medianInfer() != 0 || s.fps(t0) != 0 {
		t.Error("an empty interval has a rate or a median")
	}
	for _, ms := range []int{40, 10, 30} {
		s.add(time.Duration(ms) * time.Millisecond)
	}
	if got := s.medianInfer(); got != 30*time.Millisecond {
		t.Errorf("median of 40, 10, 30 ms: %v", got)
	}
	s.add(20 * time.Millisecond)
	if got := s.medianInfer(); got != 25*time.Millisecond {
		t.Errorf("median of 10, 20, 30, 40 ms: %v", got)
	}
	if got := s.fps(t0.Add(2 * time.Second)); got != 2 {
		t.Errorf("4 frames in 2 s: %v fps", got)
	}
	s.reset(t0.Add(2 * time.Second))
	if s.frames != 0 || s.medianInfer() != 0 {
		t.Error("reset kept samples")
	}
}

func TestSoCTemperature(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "sys/class/thermal/thermal_zone0")
	if _, err := SoCTemperature(root); err == nil {
		t.Error("no thermal zone, no error")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want float64
		err  string
	}{
		{"48312\n", 48.312, ""},
		{"-5000", -5, ""},
		{"hot\n", 0, `want millidegrees Celsius as an integer, got "hot"`},
	} {
		if err := os.WriteFile(filepath.Join(dir, "temp"), []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := SoCTemperature(root)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "thermal_zone0/temp") {
				t.Errorf("%q: error %v", tt.text, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %v, %v; want %v", tt.text, got, err, tt.want)
		}
	}
}
