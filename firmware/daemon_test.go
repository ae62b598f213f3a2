package firmware

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/testmodel"
)

// daemonConfig writes a configuration for the test model on the synthetic
// camera with simulated pins: a rule that every frame activates, and a
// fault pin.
func daemonConfig(t *testing.T) string {
	return testmodel.DaemonConfig(t, "synthetic:64x48", "")
}

// hooks is an output that calls a function on each frame and record.
type hooks struct {
	NopOutput
	frame  func(*Frame)
	record func(event string)
}

func (h hooks) Frame(f *Frame) {
	if h.frame != nil {
		h.frame(f)
	}
}

func (h hooks) Record(r *serlog.Record) {
	if fields, _ := serlog.Parse(r.String()); h.record != nil {
		h.record(fields["event"])
	}
}

// TestDaemonRunsWithoutTheCommandLine: a program opens the daemon from a
// configuration file and runs camera -> model -> rules -> pins, log and its
// own output, for a number of frames.
func TestDaemonRunsWithoutTheCommandLine(t *testing.T) {
	var stdout syncBuffer
	var sizes []string
	seen := hooks{frame: func(f *Frame) { sizes = append(sizes, fmt.Sprintf("%dx%d", f.Pixels.Width, f.Pixels.Height)) }}
	d, err := Open(Options{Config: daemonConfig(t), Stdout: &stdout, Frames: 5, Outputs: []Output{seen}})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.String(); !strings.Contains(got, "camera synthetic:64x48; pins sim") || !strings.Contains(got, "on shiftresnet20") {
		t.Errorf("description %q", got)
	}
	if err := d.Run(t.Context(), nil); err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if len(sizes) != 5 || sizes[0] != "64x48" {
		t.Errorf("the output saw frames %v, want 5 of 64x48", sizes)
	}
	out := stdout.String()
	for _, want := range []string{"event=start", "event=ready", "event=detect rule=1", "pin GPIO17 -> high", "pin GPIO17 -> low", "event=stop"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
}

// TestDaemonReloads: a reload reads the configuration file and its model
// again and switches to them.
func TestDaemonReloads(t *testing.T) {
	var stdout syncBuffer
	reload := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	frames := 0
	o := hooks{
		frame: func(*Frame) {
			if frames++; frames == 3 {
				reload <- struct{}{}
			}
		},
		record: func(event string) {
			if event == "reload" {
				cancel()
			}
		},
	}
	d, err := Open(Options{Config: daemonConfig(t), Stdout: &stdout, Outputs: []Output{o},
		CameraOptions: camera.Options{FPS: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Run(ctx, reload); err != nil {
		t.Errorf("Run: %v", err)
	}
	d.Close() // the log written out
	if out := stdout.String(); !strings.Contains(out, "event=reload ok=1 rules=1") {
		t.Errorf("no successful reload in the output:\n%s", out)
	}
}
