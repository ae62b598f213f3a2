package metrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
)

// Prefix starts every metric's name.
const Prefix = "neonet_"

// faultSources are the daemon's fault sources, exported at 0 before their
// first fault so that rate() and alerts see them from the start.
var faultSources = []string{"camera", "model", "gpio", "systemd", "throttle"}

// throttleConditions label neonet_soc_throttled, in the bit order of
// firmware.Throttling.
var throttleConditions = []string{"under_voltage", "frequency_capped", "throttled", "soft_temperature_limit"}

// Metrics is a firmware.Output that counts what the daemon does, for
// Prometheus. Its methods are safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	frames      prometheus.Counter
	infer       prometheus.Histogram
	dropped     prometheus.Counter
	ruleActive  *prometheus.GaugeVec
	transitions *prometheus.CounterVec
	pinActive   *prometheus.GaugeVec
	faults      *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	logDropped  prometheus.Counter
	temperature prometheus.Gauge
	throttled   *prometheus.GaugeVec
}

// New makes the metrics, with the Go runtime's and the process's (also
// prefixed neonet_) in the same registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := factory{prometheus.WrapRegistererWithPrefix(Prefix, m.reg)}
	m.frames = f.counter("frames_total", "Frames classified.")
	m.infer = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "inference_duration_seconds", Help: "Time the model takes for one frame, preprocessing included.",
		Buckets: prometheus.ExponentialBuckets(0.002, 2, 12), // 2 ms to 4 s
	})
	f.reg.MustRegister(m.infer)
	m.dropped = f.counter("camera_dropped_frames_total", "Frames the camera delivered that were not classified (the model was busy).")
	m.ruleActive = f.gaugeVec("rule_active", "1 while the rule is active (detected), else 0.", "rule", "pin")
	m.transitions = f.counterVec("rule_transitions_total", "Rule activations (to=\"active\") and releases (to=\"inactive\").", "rule", "pin", "to")
	m.pinActive = f.gaugeVec("pin_active", "Logical level of an output pin: 1 active, 0 inactive.", "pin")
	m.faults = f.counterVec("faults_total", "Fault records, by source.", "source")
	m.reloads = f.counterVec("reloads_total", "Reloads of the configuration and model, by result (ok, failed).", "result")
	m.logDropped = f.counter("log_dropped_records_total", "Records the serial log dropped because its queue was full.")
	m.temperature = prometheus.NewGauge(prometheus.GaugeOpts{Name: "soc_temperature_celsius", Help: "SoC temperature at the last status record."})
	f.reg.MustRegister(m.temperature)
	m.throttled = f.gaugeVec("soc_throttled", "1 while the Raspberry Pi firmware reports the condition, at the last status record.", "condition")
	for _, s := range faultSources {
		m.faults.WithLabelValues(s)
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("failed")
	f.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// factory makes metrics registered on reg.
type factory struct{ reg prometheus.Registerer }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

// Handler serves the exposition (/metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is where the metrics are; tests gather from it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Frame implements firmware.Output. It does not allocate.
func (m *Metrics) Frame(f *firmware.Frame) {
	m.frames.Inc()
	m.infer.Observe(f.Infer.Seconds())
}

// Level implements firmware.Output.
func (m *Metrics) Level(pin string, active bool) error {
	m.pinActive.WithLabelValues(pin).Set(b2f(active))
	return nil
}

// Configure implements firmware.Configurable: every rule starts inactive.
func (m *Metrics) Configure(cfg *firmware.Config, _ []string) {
	m.ruleActive.Reset()
	for i, r := range cfg.Rules {
		n := strconv.Itoa(i + 1)
		m.ruleActive.WithLabelValues(n, r.Pin).Set(0)
		m.transitions.WithLabelValues(n, r.Pin, "active")
		m.transitions.WithLabelValues(n, r.Pin, "inactive")
	}
}

// Record implements firmware.Output: decisions, faults, reloads and the
// status record's counters.
func (m *Metrics) Record(r *serlog.Record) {
	fields, err := serlog.Parse(r.String())
	if err != nil {
		return
	}
	switch fields["event"] {
	case "detect", "release":
		active := fields["event"] == "detect"
		to := "inactive"
		if active {
			to = "active"
		}
		rule, pin := fields["rule"], fields["pin"]
		m.ruleActive.WithLabelValues(rule, pin).Set(b2f(active))
		m.transitions.WithLabelValues(rule, pin, to).Inc()
	case "fault":
		m.faults.WithLabelValues(fields["source"]).Inc()
	case "reload":
		result := "failed"
		if fields["ok"] == "1" {
			result = "ok"
		}
		m.reloads.WithLabelValues(result).Inc()
	case "status":
		if n, err := strconv.ParseUint(fields["dropped"], 10, 64); err == nil {
			m.dropped.Add(float64(n))
		}
		if n, err := strconv.ParseUint(fields["log_overflow"], 10, 64); err == nil {
			m.logDropped.Add(float64(n))
		}
		if t, err := strconv.ParseFloat(fields["temp_c"], 64); err == nil {
			m.temperature.Set(t)
		}
		if t, err := strconv.ParseUint(fields["throttled"], 0, 32); err == nil {
			for i, c := range throttleConditions {
				m.throttled.WithLabelValues(c).Set(float64(t >> i & 1))
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
