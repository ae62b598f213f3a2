package live

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"neonet.dev/neonet/classify"
	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
)

// TopK is how many classes a Status lists.
const TopK = 5

// Recent is how many events a Status keeps.
const Recent = 20

// rateWindow is the period over which the frame rate and the mean
// inference time are measured.
const rateWindow = time.Second

// staleAfter is how long without a frame before the frame rate reads 0.
const staleAfter = 2 * time.Second

// Status is a snapshot of the daemon, as /api/status serves it.
type Status struct {
	Model   string    `json:"model"`
	Labels  []string  `json:"labels,omitempty"` // every class, in output order
	Frame   uint64    `json:"frame"`            // the camera's number of the newest frame
	Time    time.Time `json:"time"`             // when it was classified
	FPS     float64   `json:"fps"`
	InferMs float64   `json:"infer_ms"` // mean inference time over the last second
	// Health is the last status record's process and board figures.
	Health
	Top     []classify.Prediction `json:"top"`
	Rules   []Rule                `json:"rules"`
	Pins    []Pin                 `json:"pins"`
	Faults  []Fault               `json:"faults"`
	Records []Event               `json:"records"` // the newest last
}

// Health is what the last status record said of the process and the
// board; a figure the record did not have is nil.
type Health struct {
	CPUPct    *float64 `json:"cpu_pct,omitempty"`    // the process's CPU time over the status interval, % of one core
	MaxRSSMB  *float64 `json:"max_rss_mb,omitempty"` // the process's peak resident memory
	TempC     *float64 `json:"temp_c,omitempty"`     // the SoC temperature
	Throttled string   `json:"throttled,omitempty"`  // the Raspberry Pi's throttling state, as vcgencmd prints it
}

// Rule is one rule and its state.
type Rule struct {
	N      int       `json:"rule"` // 1-based, in file order
	Labels []string  `json:"labels"`
	Pin    string    `json:"pin"`
	Mode   string    `json:"mode"`
	Active bool      `json:"active"`
	Label  string    `json:"label,omitempty"` // the label that activated it
	Score  float64   `json:"score,omitempty"`
	Since  time.Time `json:"since,omitzero"` // of the last change
}

// Pin is an output pin's logical level (true is active).
type Pin struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// Fault is the last fault of one source (camera, model, gpio, systemd,
// mqtt, ...).
type Fault struct {
	Source string    `json:"source"`
	Error  string    `json:"error"`
	Time   time.Time `json:"time"`
	Count  int       `json:"count"`  // faults of this source since start
	Active bool      `json:"active"` // failing now (until a recovered record)
}

// Event is a record worth showing: detect, release, fault, recovered or
// reload. Fields absent from the record are zero.
type Event struct {
	Time   time.Time `json:"t"`
	Event  string    `json:"event"`
	Rule   int       `json:"rule,omitempty"`
	Label  string    `json:"label,omitempty"`
	Score  float64   `json:"score,omitempty"`
	Pin    string    `json:"pin,omitempty"`
	State  *int      `json:"state,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Source string    `json:"source,omitempty"`
	Error  string    `json:"error,omitempty"`
	OK     *int      `json:"ok,omitempty"`
}

// Decision reports whether the event is a rule's detect or release.
func (e *Event) Decision() bool { return e.Event == "detect" || e.Event == "release" }

// State is a firmware.Output that keeps the daemon's Status. Its methods
// are safe for concurrent use.
type State struct {
	mu      sync.Mutex
	version atomic.Uint64
	model   string
	labels  []string
	top     []classify.Prediction // capacity TopK
	seq     uint64
	time    time.Time
	fps     float64
	inferMs float64
	health  Health
	window  struct {
		start  time.Time
		frames int
		infer  time.Duration
	}
	rules  []Rule
	pins   []Pin
	faults []Fault
	recent []Event // ring of Recent, oldest at next
	next   int
	subs   []*Subscription
}

// New returns an empty State; the loop fills it.
func New() *State { return &State{top: make([]classify.Prediction, 0, TopK)} }

// Frame implements firmware.Output: the top classes, the frame rate and
// the inference time. It does not allocate.
func (s *State) Frame(f *firmware.Frame) {
	s.mu.Lock()
	s.top = classify.TopK(s.top, f.Scores, TopK)
	s.seq, s.time = f.Seq, f.Time
	w := &s.window
	if w.frames == 0 {
		w.start = f.Time
	}
	w.frames++
	w.infer += f.Infer
	if el := f.Time.Sub(w.start); el >= rateWindow {
		s.fps = float64(w.frames-1) / el.Seconds()
		s.inferMs = float64(w.infer) / float64(w.frames) / float64(time.Millisecond)
		w.start, w.frames, w.infer = f.Time, 1, f.Infer
	}
	s.mu.Unlock()
	s.version.Add(1)
}

// Level implements firmware.Output.
func (s *State) Level(pin string, active bool) error {
	s.mu.Lock()
	i := slices.IndexFunc(s.pins, func(p Pin) bool { return p.Name == pin })
	if i < 0 {
		s.pins = append(s.pins, Pin{Name: pin})
		i = len(s.pins) - 1
	}
	s.pins[i].Active = active
	s.mu.Unlock()
	s.version.Add(1)
	return nil
}

// Configure implements firmware.Configurable: the model, its classes and
// the rules, every one inactive.
func (s *State) Configure(cfg *firmware.Config, labels []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model = cfg.Model
	s.labels = slices.Clone(labels)
	s.rules = s.rules[:0]
	for i, r := range cfg.Rules {
		s.rules = append(s.rules, Rule{N: i + 1, Labels: slices.Clone(r.Labels), Pin: r.Pin, Mode: string(r.Mode)})
	}
	s.version.Add(1)
}

// Record implements firmware.Output: decisions, faults, recoveries and
// reloads become Events; a status record gives the Health; the other
// records are ignored.
func (s *State) Record(r *serlog.Record) {
	if h, ok := parseHealth(r); ok {
		s.mu.Lock()
		s.health = h
		s.mu.Unlock()
		s.version.Add(1)
		return
	}
	ev, ok := ParseEvent(r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Event {
	case "detect", "release":
		if i := ev.Rule - 1; i >= 0 && i < len(s.rules) {
			rule := &s.rules[i]
			rule.Active = ev.Event == "detect"
			rule.Label, rule.Score, rule.Since = ev.Label, ev.Score, ev.Time
		}
	case "fault":
		i := slices.IndexFunc(s.faults, func(f Fault) bool { return f.Source == ev.Source })
		if i < 0 {
			s.faults = append(s.faults, Fault{Source: ev.Source})
			i = len(s.faults) - 1
		}
		f := &s.faults[i]
		f.Error, f.Time, f.Count = ev.Error, ev.Time, f.Count+1
		// Camera, model and broker faults last until a recovered record;
		// a pin or systemd failure is one event.
		f.Active = ev.Source != "gpio" && ev.Source != "systemd"
	case "recovered":
		for i := range s.faults {
			if s.faults[i].Source == ev.Source {
				s.faults[i].Active = false
			}
		}
	}
	if len(s.recent) < Recent {
		s.recent = append(s.recent, ev)
	} else {
		s.recent[s.next] = ev
		s.next = (s.next + 1) % Recent
	}
	for _, sub := range s.subs {
		select {
		case sub.c <- ev:
		default:
			sub.dropped.Add(1)
		}
	}
	s.version.Add(1)
}

// ParseEvent reads a detect, release, fault, recovered or reload record.
func ParseEvent(r *serlog.Record) (Event, bool) {
	fields, err := serlog.Parse(r.String())
	if err != nil {
		return Event{}, false
	}
	ev := Event{Event: fields["event"]}
	switch ev.Event {
	case "detect", "release", "fault", "recovered", "reload":
	default:
		return Event{}, false
	}
	ev.Time, _ = time.Parse(serlog.TimeFormat, fields["t"])
	ev.Rule, _ = strconv.Atoi(fields["rule"])
	ev.Label, ev.Pin, ev.Reason = fields["label"], fields["pin"], fields["reason"]
	ev.Source, ev.Error = fields["source"], fields["error"]
	ev.Score, _ = strconv.ParseFloat(fields["score"], 64)
	ev.State, ev.OK = optInt(fields, "state"), optInt(fields, "ok")
	return ev, true
}

// parseHealth reads the figures of a status record.
func parseHealth(r *serlog.Record) (Health, bool) {
	fields, err := serlog.Parse(r.String())
	if err != nil || fields["event"] != "status" {
		return Health{}, false
	}
	return Health{CPUPct: optFloat(fields, "cpu_pct"), MaxRSSMB: optFloat(fields, "max_rss_mb"), TempC: optFloat(fields, "temp_c"),
		Throttled: fields["throttled"]}, true
}

func optFloat(fields map[string]string, key string) *float64 {
	v, err := strconv.ParseFloat(fields[key], 64)
	if err != nil {
		return nil
	}
	return &v
}

func optInt(fields map[string]string, key string) *int {
	v, err := strconv.Atoi(fields[key])
	if err != nil {
		return nil
	}
	return &v
}

// Version changes whenever the state does; a reader compares it with the
// one it last saw before taking a Snapshot.
func (s *State) Version() uint64 { return s.version.Load() }

// Snapshot copies the state at now; withLabels adds every class of the
// model (a thousand names for an ImageNet model).
func (s *State) Snapshot(now time.Time, withLabels bool) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Model: s.model, Frame: s.seq, Time: s.time, FPS: s.fps, InferMs: s.inferMs, Health: s.health,
		Top:   slices.Clone(s.top),
		Rules: make([]Rule, len(s.rules)), Pins: slices.Clone(s.pins), Faults: slices.Clone(s.faults),
		Records: make([]Event, 0, len(s.recent)),
	}
	if withLabels {
		st.Labels = s.labels
	}
	for i, r := range s.rules {
		r.Labels = slices.Clone(r.Labels)
		st.Rules[i] = r
	}
	if s.time.IsZero() || now.Sub(s.time) > staleAfter {
		st.FPS = 0
	}
	st.Records = append(st.Records, s.recent[s.next:]...)
	st.Records = append(st.Records, s.recent[:s.next]...)
	return st
}

// Subscription delivers Events as they happen.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	dropped atomic.Uint64
	state   *State
}

// Subscribe starts delivering events into a channel that holds capacity
// of them; what does not fit is dropped and counted. Close it when done.
func (s *State) Subscribe(capacity int) *Subscription {
	c := make(chan Event, max(capacity, 1))
	sub := &Subscription{C: c, c: c, state: s}
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	return sub
}

// Subscribers is the number of open subscriptions.
func (s *State) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// TakeDropped returns the events dropped since the last call.
func (sub *Subscription) TakeDropped() uint64 { return sub.dropped.Swap(0) }

// Close stops the deliveries.
func (sub *Subscription) Close() {
	s := sub.state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = slices.DeleteFunc(s.subs, func(x *Subscription) bool { return x == sub })
}
