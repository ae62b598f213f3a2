package mqtt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/internal/testmodel"
)

// frameTimes is an output that notes when each frame reached it.
type frameTimes struct {
	firmware.NopOutput
	mu    sync.Mutex
	times []time.Time
}

func (f *frameTimes) Frame(*firmware.Frame) {
	f.mu.Lock()
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
}

// since returns the number of frames since t and the longest gap between
// two frames after t.
func (f *frameTimes) since(t time.Time) (n int, gap time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := t
	for _, ft := range f.times {
		if ft.Before(t) {
			continue
		}
		n++
		gap = max(gap, ft.Sub(prev))
		prev = ft
	}
	return n, max(gap, time.Since(prev))
}

// TestDaemonWithBroker runs the daemon with [mqtt] against a real
// mosquitto that needs a password: discovery, availability, state, rule and
// event messages arrive as specified; then the broker is stopped and
// started again with nothing retained, and the client reconnects and
// publishes everything again, while frames keep flowing.
func TestDaemonWithBroker(t *testing.T) {
	b := startBroker(t)
	live := subscribe(t, b, "neonet/test/#")
	mqtt := fmt.Sprintf("\n[mqtt]\nbroker = %q\nclient_id = \"neonet-test\"\ntopic = \"neonet/test\"\nusername = %q\npassword_file = %q\n",
		b.url(), testUser, testenv.TempFile(t, "password", testPassword+"\n"))
	var stdout testenv.Buffer
	frames := &frameTimes{}
	d, err := firmware.Open(firmware.Options{Config: testmodel.DaemonConfig(t, "synthetic:64x48", mqtt), Stdout: &stdout,
		Openers: []firmware.OutputOpener{Open}, Outputs: []firmware.Output{frames}, CameraFPS: new(50.0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.String(), "mqtt "+b.url()+" as neonet-test, topic neonet/test") {
		t.Errorf("description %q", d)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx, nil); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	defer func() {
		cancel()
		<-done
		d.Close()
	}()

	// What a subscriber sees live, and what a new one gets retained.
	live.wait(t, "neonet/test/availability", is("online"))
	ev := live.wait(t, "neonet/test/event", anything)
	var event struct {
		Event, Label, Pin string
		Rule, State       int
	}
	if err := json.Unmarshal([]byte(ev.payload), &event); err != nil || event.Event != "detect" || event.Rule != 1 ||
		event.Pin != "GPIO17" || event.State != 1 || event.Label == "" || ev.retained {
		t.Errorf("event %s (retained %v): %v", ev.payload, ev.retained, err)
	}
	checkRetained(t, b, "online")

	// The broker goes away and comes back empty.
	before := time.Now()
	b.restart(time.Second)
	checkRetained(t, b, "online")
	n, gap := frames.since(before)
	t.Logf("%d frames while the broker restarted, longest gap %v", n, gap)
	if n < 20 || gap > 2*time.Second {
		t.Errorf("the frame loop stalled: %d frames, longest gap %v", n, gap)
	}
	for _, want := range []string{"event=fault source=mqtt", "event=recovered source=mqtt"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no %q in the records:\n%s", want, stdout.String())
		}
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stdout.String(), "mqtt=up mqtt_dropped=0"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("no status record with mqtt=up:\n%s", stdout.String())
			break
		}
	}

	// A daemon that stops says so.
	cancel()
	<-done
	d.Close()
	after := subscribe(t, b, "neonet/test/availability")
	if m := after.wait(t, "neonet/test/availability", anything); m.payload != "offline" || !m.retained {
		t.Errorf("after stop: availability %q (retained %v), want a retained offline", m.payload, m.retained)
	}
}

// checkRetained subscribes anew and checks the retained messages: the
// availability, the rule, the state and Home Assistant's discovery.
func checkRetained(t *testing.T, b *broker, availability string) {
	t.Helper()
	// A subscriber gets the retained messages when it subscribes, and the
	// ones published later as they come (without the retain flag): wait
	// for the last of them first.
	w := subscribe(t, b, "neonet/test/#")
	w.wait(t, "neonet/test/rule/1", is("ON"))
	w.wait(t, "neonet/test/state", anything)
	s := subscribe(t, b, "neonet/test/#", "homeassistant/#")
	retained := func(topic string, ok func(string) bool) string {
		t.Helper()
		m := s.wait(t, topic, ok)
		if !m.retained {
			t.Errorf("%s %s is not retained", topic, m.payload)
		}
		return m.payload
	}
	retained("neonet/test/availability", is(availability))
	retained("neonet/test/rule/1", is("ON"))
	var state struct {
		Label string
		Score float64
		FPS   float64
		Frame uint64
	}
	if err := json.Unmarshal([]byte(retained("neonet/test/state", anything)), &state); err != nil || state.Label == "" || state.Score <= 0 || state.Frame == 0 {
		t.Errorf("state %+v: %v", state, err)
	}
	var rule, label struct {
		Name              string `json:"name"`
		StateTopic        string `json:"state_topic"`
		AvailabilityTopic string `json:"availability_topic"`
		Device            struct {
			Identifiers []string
			Name        string
		}
	}
	if err := json.Unmarshal([]byte(retained("homeassistant/binary_sensor/neonet-test/rule1/config", anything)), &rule); err != nil ||
		rule.StateTopic != "neonet/test/rule/1" || rule.AvailabilityTopic != "neonet/test/availability" ||
		len(rule.Device.Identifiers) != 1 || rule.Device.Identifiers[0] != "neonet-test" || !strings.HasPrefix(rule.Name, "Rule 1 (airplane") {
		t.Errorf("binary sensor %+v: %v", rule, err)
	}
	cfg := retained("homeassistant/sensor/neonet-test/label/config", anything)
	if err := json.Unmarshal([]byte(cfg), &label); err != nil || label.StateTopic != "neonet/test/state" ||
		!strings.Contains(cfg, `"value_template":"{{ value_json.label }}"`) || !strings.Contains(cfg, `"unique_id":"neonet-test_label"`) {
		t.Errorf("label sensor %s: %v", cfg, err)
	}
}

// proxy forwards connections to the broker, and can cut them all at
// once: a network that breaks.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, to string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) url() string { return "tcp://" + p.ln.Addr().String() }

// cut closes every connection, on both sides.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestLastWill: when the connection breaks without a goodbye, the broker
// publishes the last will, "offline"; the client reconnects and says
// "online" again, with a fault and a recovered record.
func TestLastWill(t *testing.T) {
	b := startBroker(t)
	s := subscribe(t, b, "neonet/will/availability")
	p := startProxy(t, b.addr())
	var records testenv.Buffer
	report := func(r *serlog.Record) { records.Write([]byte(r.String() + "\n")) }
	c, err := New(firmware.MQTTConfig{Broker: p.url(), ClientID: "neonet-will", Topic: "neonet/will", Username: testUser,
		PasswordFile: testenv.TempFile(t, "pw", testPassword)}, report)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.wait(t, "neonet/will/availability", is("online"))
	p.cut()
	s.wait(t, "neonet/will/availability", is("offline"))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s.mu.Lock()
		got := slices.Clone(s.got)
		s.mu.Unlock()
		if len(got) >= 3 && got[len(got)-1].payload == "online" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not online again: %+v; records:\n%s", got, records.String())
		}
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(records.String(), "event=recovered source=mqtt attempts=1"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("records:\n%s", records.String())
		}
	}
	if !strings.Contains(records.String(), "event=fault source=mqtt") {
		t.Errorf("no fault record:\n%s", records.String())
	}
}

// TestWrongPassword: the broker refuses a wrong password; the client
// reports it as a fault and keeps trying, without blocking anyone.
func TestWrongPassword(t *testing.T) {
	b := startBroker(t)
	var records testenv.Buffer
	report := func(r *serlog.Record) { records.Write([]byte(r.String() + "\n")) }
	c, err := New(firmware.MQTTConfig{Broker: b.url(), Username: testUser, PasswordFile: testenv.TempFile(t, "pw", "wrong")}, report)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(records.String(), "event=fault source=mqtt"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no fault record for a refused password")
		}
	}
	if !strings.Contains(strings.ToLower(records.String()), "not authori") {
		t.Errorf("the fault does not say why: %s", records.String())
	}
	start := time.Now()
	c.Close()
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %v", el)
	}
}

// TestUnresponsiveBroker: a broker that accepts the connection and never
// answers holds up neither the loop's calls nor Close.
func TestUnresponsiveBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := New(firmware.MQTTConfig{Broker: "tcp://" + ln.Addr().String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := firmware.ParseConfig("t.toml", []byte("[[rule]]\nlabels = [\"cat\"]\npin = \"GPIO17\"\n"))
	c.Configure(cfg, []string{"cat", "dog"})
	scores := []firmware.Score{{Index: 0, Label: "cat", Score: 0.9}, {Index: 1, Label: "dog", Score: 0.1}}
	var slowest time.Duration
	for i := range 2000 {
		start := time.Now()
		c.Frame(&firmware.Frame{Time: start, Seq: uint64(i), Scores: scores})
		state := int64(i % 2)
		c.Record(serlog.New(start, map[int64]string{0: "release", 1: "detect"}[state]).Int("rule", 1).Str("label", "cat").Word("pin", "GPIO17").Int("state", state))
		slowest = max(slowest, time.Since(start))
	}
	if slowest > 50*time.Millisecond {
		t.Errorf("a call took %v", slowest)
	}
	start := time.Now()
	c.Close()
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("Close took %v", el)
	}
	var r serlog.Record
	c.Status(&r)
	if !strings.Contains(r.String(), "mqtt=down") {
		t.Errorf("status %q", r.String())
	}
}
