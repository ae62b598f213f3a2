package live

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
)

var t0 = time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)

func detect(rule int) *serlog.Record {
	return serlog.New(t0, "detect").Int("rule", int64(rule)).Str("label", "tabby cat").Float("score", 0.5, 2).Word("pin", "GPIO17").Int("state", 1)
}

// TestRecentAndSubscriptions: the last Recent events are kept, oldest
// first; a subscriber that does not read loses what does not fit, counted;
// other records are neither kept nor delivered.
func TestRecentAndSubscriptions(t *testing.T) {
	s := New()
	sub := s.Subscribe(3)
	for i := range Recent + 5 {
		s.Record(detect(i + 1))
		s.Record(serlog.New(t0, "status").Float("fps", 1, 1))
	}
	st := s.Snapshot(t0, false)
	if len(st.Records) != Recent || st.Records[0].Rule != 6 || st.Records[Recent-1].Rule != Recent+5 {
		t.Errorf("%d records from rule %d to %d, want %d from 6", len(st.Records), st.Records[0].Rule, st.Records[len(st.Records)-1].Rule, Recent)
	}
	if ev := st.Records[0]; ev.Label != "tabby cat" || ev.Score != 0.5 || ev.Pin != "GPIO17" || *ev.State != 1 || !ev.Time.Equal(t0) || !ev.Decision() {
		t.Errorf("event %+v", ev)
	}
	if got := sub.TakeDropped(); got != Recent+5-3 {
		t.Errorf("dropped %d, want %d", got, Recent+2)
	}
	if ev := <-sub.C; ev.Rule != 1 {
		t.Errorf("first delivered event is rule %d's", ev.Rule)
	}
	sub.Close()
	if s.Subscribers() != 0 {
		t.Error("still subscribed after Close")
	}
}

// TestFaults: camera faults last until recovered; a pin's fault is an
// event; the counts add up.
func TestFaults(t *testing.T) {
	s := New()
	s.Record(serlog.New(t0, "fault").Word("source", "camera").Str("error", "gone").Int("attempt", 1))
	s.Record(serlog.New(t0, "fault").Word("source", "camera").Str("error", "still gone").Int("attempt", 2))
	s.Record(serlog.New(t0, "fault").Word("source", "gpio").Word("pin", "GPIO4").Str("error", "busy"))
	f := s.Snapshot(t0, false).Faults
	if len(f) != 2 || !f[0].Active || f[0].Count != 2 || f[0].Error != "still gone" || f[1].Active || f[1].Source != "gpio" {
		t.Errorf("faults %+v", f)
	}
	s.Record(serlog.New(t0, "recovered").Word("source", "camera").Int("attempts", 2))
	if f := s.Snapshot(t0, false).Faults; f[0].Active {
		t.Errorf("camera still failing after recovery: %+v", f[0])
	}
}

// TestFrameRate: the frame rate and inference time over the last second;
// a daemon without frames for a while reads 0 fps.
func TestFrameRate(t *testing.T) {
	s := New()
	v := s.Version()
	for i := range 41 {
		s.Frame(&firmware.Frame{Time: t0.Add(time.Duration(i) * 25 * time.Millisecond), Infer: 10 * time.Millisecond})
	}
	if s.Version() == v {
		t.Error("the version did not change")
	}
	if st := s.Snapshot(t0.Add(time.Second), false); st.FPS != 40 || st.InferMs != 10 {
		t.Errorf("%v fps, %v ms", st.FPS, st.InferMs)
	}
	if st := s.Snapshot(t0.Add(5*time.Second), false); st.FPS != 0 {
		t.Errorf("%v fps after 4 s without frames", st.FPS)
	}
}

// BenchmarkFrame is what a frame costs the loop in a State (the web page
// and MQTT each have one): the top-5 of 1000 ImageNet scores.
func BenchmarkFrame(b *testing.B) {
	s := New()
	scores := make([]firmware.Score, 1000)
	for i := range scores {
		scores[i] = firmware.Score{Index: i, Score: float32(i%97) / 1000}
	}
	f := &firmware.Frame{Time: t0, Scores: scores, Infer: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		f.Time = f.Time.Add(time.Millisecond)
		s.Frame(f)
	}
}

// TestHealth: the last status record's CPU, memory, temperature and
// throttling figures; one the record lacks is absent from the JSON.
func TestHealth(t *testing.T) {
	s := New()
	s.Record(serlog.New(t0, "status").Float("fps", 5, 1).Float("cpu_pct", 7.25, 1).Float("max_rss_mb", 61.4, 1).
		Float("temp_c", 51.2, 1).Word("throttled", "0x50000"))
	h := s.Snapshot(t0, false).Health
	if h.CPUPct == nil || *h.CPUPct != 7.2 || *h.MaxRSSMB != 61.4 || *h.TempC != 51.2 || h.Throttled != "0x50000" {
		t.Errorf("health %+v", h)
	}
	s.Record(serlog.New(t0, "status").Float("fps", 5, 1).Float("cpu_pct", 3, 1))
	data, err := json.Marshal(s.Snapshot(t0, false))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"cpu_pct":3,`) || strings.Contains(string(data), "temp_c") || strings.Contains(string(data), "throttled") {
		t.Errorf("JSON %s: want cpu_pct and neither temp_c nor throttled", data)
	}
}
