package firmware

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"neonet.dev/neonet/firmware/serlog"
)

// netOutput is an output as an opener makes it: it describes itself, is
// configured by the loop, reports a record from a goroutine of its own and
// is closed with the daemon.
type netOutput struct {
	NopOutput
	report func(*serlog.Record)
	mu     sync.Mutex
	labels []int // the number of labels of each Configure call
	rules  []int
	frames int
	closed bool
}

func (o *netOutput) Configure(cfg *Config, labels []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.labels = append(o.labels, len(labels))
	o.rules = append(o.rules, len(cfg.Rules))
}

func (o *netOutput) Frame(*Frame) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.frames++; o.frames == 2 {
		go o.report(serlog.New(RealClock.Now(), "fault").Word("source", "net").Str("error", "went away"))
	}
}

func (o *netOutput) String() string { return "net output at somewhere" }

func (o *netOutput) Close() error {
	o.closed = true
	return nil
}

// TestOpeners: the outputs of Options.Openers see the configuration and
// the model's classes at start and after a reload, their records reach
// every output, they describe themselves in the daemon's description, and
// Close closes them.
func TestOpeners(t *testing.T) {
	var stdout syncBuffer
	out := &netOutput{}
	opener := func(env OutputEnv) ([]Output, error) {
		if env.Config == nil || env.Report == nil || env.Stderr == nil {
			t.Errorf("env %+v", env)
		}
		out.report = env.Report
		return []Output{out}, nil
	}
	reload := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	seen := hooks{record: func(event string) {
		switch event {
		case "fault":
			reload <- struct{}{}
		case "reload":
			cancel()
		}
	}}
	d, err := Open(Options{Config: daemonConfig(t), Stdout: &stdout, Openers: []OutputOpener{opener}, Outputs: []Output{seen},
		CameraFPS: new(100.0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d.String(), "; net output at somewhere") {
		t.Errorf("description %q", d)
	}
	if err := d.Run(ctx, reload); err != nil {
		t.Errorf("Run: %v", err)
	}
	d.Close()
	if !out.closed {
		t.Error("the output was not closed")
	}
	if len(out.labels) != 2 || out.labels[0] != 10 || out.labels[1] != 10 || out.rules[0] != 1 {
		t.Errorf("Configure calls: labels %v, rules %v; want two, with the 10 classes and 1 rule", out.labels, out.rules)
	}
	if !strings.Contains(stdout.String(), `event=fault source=net error="went away"`) {
		t.Errorf("the output's record is not in the log:\n%s", stdout.String())
	}
}

// TestOpenerFails: an opener's error fails Open, and what was opened
// before it is closed.
func TestOpenerFails(t *testing.T) {
	first := &netOutput{}
	_, err := Open(Options{Config: daemonConfig(t), Stdout: &syncBuffer{}, Openers: []OutputOpener{
		func(OutputEnv) ([]Output, error) { return []Output{first}, nil },
		func(OutputEnv) ([]Output, error) { return nil, errors.New("http.listen: address in use") },
	}})
	if err == nil || err.Error() != "http.listen: address in use" {
		t.Errorf("Open: %v", err)
	}
	if !first.closed {
		t.Error("the first opener's output was left open")
	}
}
