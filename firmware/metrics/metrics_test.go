package metrics

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
)

var t0 = time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)

// fed returns metrics that saw a short run: two rules, frames, pin
// changes, a detection and its release, faults, reloads and two status
// records.
func fed(t *testing.T) *Metrics {
	t.Helper()
	cfg, err := firmware.ParseConfig("t.toml", []byte(`
[[rule]]
labels = ["cat"]
pin = "GPIO17"
[[rule]]
labels = ["dog"]
pin = "GPIO23"
`))
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.Configure(cfg, []string{"cat", "dog"})
	for _, ms := range []int{3, 5, 40, 7} {
		m.Frame(&firmware.Frame{Time: t0, Infer: time.Duration(ms) * time.Millisecond})
	}
	m.Level("GPIO17", true)
	m.Level("GPIO22", false)
	for _, r := range []*serlog.Record{
		serlog.New(t0, "detect").Int("rule", 1).Str("label", "cat").Float("score", 0.8, 2).Word("pin", "GPIO17").Int("state", 1),
		serlog.New(t0, "release").Int("rule", 1).Str("label", "cat").Word("pin", "GPIO17").Int("state", 0),
		serlog.New(t0, "detect").Int("rule", 1).Str("label", "cat").Float("score", 0.9, 2).Word("pin", "GPIO17").Int("state", 1),
		serlog.New(t0, "fault").Word("source", "camera").Str("error", "gone").Int("attempt", 1),
		serlog.New(t0, "fault").Word("source", "camera").Str("error", "gone").Int("attempt", 2),
		serlog.New(t0, "fault").Word("source", "mqtt").Str("error", "refused").Int("attempt", 1),
		serlog.New(t0, "reload").Int("ok", 1).Int("rules", 2),
		serlog.New(t0, "reload").Int("ok", 0).Str("error", "bad model"),
		serlog.New(t0, "status").Float("fps", 9.5, 1).Int("dropped", 4).Float("temp_c", 51.25, 1).Word("throttled", "0x50005").Int("log_overflow", 2),
		serlog.New(t0, "status").Float("fps", 9.5, 1).Int("dropped", 1).Float("temp_c", 48.5, 1).Word("throttled", "0x5000c").Int("log_overflow", 0),
	} {
		m.Record(r)
	}
	return m
}

// scrape fetches the exposition as Prometheus does.
func scrape(t *testing.T, m *Metrics) []byte {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return body
}

// TestExposition parses /metrics as Prometheus would, checks the names
// against the naming conventions (promlint) and the neonet_ prefix, and
// the values against what the daemon did.
func TestExposition(t *testing.T) {
	body := scrape(t, fed(t))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, body)
	}
	for name := range families {
		if !strings.HasPrefix(name, Prefix) {
			t.Errorf("%s lacks the %s prefix", name, Prefix)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("naming: %s: %s", p.Metric, p.Text)
	}

	value := func(name string, labels ...string) float64 {
		t.Helper()
		f := families[name]
		if f == nil {
			t.Errorf("no %s", name)
			return -1
		}
	next:
		for _, m := range f.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				if label(m, labels[i]) != labels[i+1] {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
		t.Errorf("no %s%v", name, labels)
		return -1
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"neonet_frames_total", nil, 4},
		{"neonet_inference_duration_seconds", nil, 4},
		{"neonet_camera_dropped_frames_total", nil, 5},
		{"neonet_rule_active", []string{"rule", "1", "pin", "GPIO17"}, 1},
		{"neonet_rule_active", []string{"rule", "2", "pin", "GPIO23"}, 0},
		{"neonet_rule_transitions_total", []string{"rule", "1", "to", "active"}, 2},
		{"neonet_rule_transitions_total", []string{"rule", "1", "to", "inactive"}, 1},
		{"neonet_rule_transitions_total", []string{"rule", "2", "to", "active"}, 0},
		{"neonet_pin_active", []string{"pin", "GPIO17"}, 1},
		{"neonet_pin_active", []string{"pin", "GPIO22"}, 0},
		{"neonet_faults_total", []string{"source", "camera"}, 2},
		{"neonet_faults_total", []string{"source", "mqtt"}, 1},
		{"neonet_faults_total", []string{"source", "model"}, 0},
		{"neonet_reloads_total", []string{"result", "ok"}, 1},
		{"neonet_reloads_total", []string{"result", "failed"}, 1},
		{"neonet_log_dropped_records_total", nil, 2},
		{"neonet_soc_temperature_celsius", nil, 48.5},
		{"neonet_soc_throttled", []string{"condition", "under_voltage"}, 0},
		{"neonet_soc_throttled", []string{"condition", "frequency_capped"}, 0},
		{"neonet_soc_throttled", []string{"condition", "throttled"}, 1},
		{"neonet_soc_throttled", []string{"condition", "soft_temperature_limit"}, 1},
		{"neonet_faults_total", []string{"source", "throttle"}, 0},
	} {
		if got := value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	h := families["neonet_inference_duration_seconds"].Metric[0].GetHistogram()
	if got := h.GetSampleSum(); got < 0.0549 || got > 0.0551 {
		t.Errorf("inference time sum %v s, want 0.055", got)
	}
	for _, b := range h.Bucket {
		if b.GetUpperBound() == 0.008 && b.GetCumulativeCount() != 3 {
			t.Errorf("%d frames took at most 8 ms, want 3", b.GetCumulativeCount())
		}
	}
	if families["neonet_go_goroutines"] == nil || families["neonet_process_resident_memory_bytes"] == nil {
		t.Error("the Go runtime's and the process's metrics are missing")
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestFrameDoesNotAllocate: counting a frame costs the loop no
// allocation.
func TestFrameDoesNotAllocate(t *testing.T) {
	m := New()
	f := &firmware.Frame{Time: t0, Infer: 5 * time.Millisecond}
	if n := testing.AllocsPerRun(1000, func() { m.Frame(f) }); n != 0 {
		t.Errorf("%v allocations a frame", n)
	}
}

// BenchmarkFrame is what a frame costs the loop in the metrics.
func BenchmarkFrame(b *testing.B) {
	m := New()
	f := &firmware.Frame{Time: t0, Infer: 5 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		m.Frame(f)
	}
}
