package firmware

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/testmodel"
	"neonet.dev/neonet/modelfile"
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
		CameraFPS: new(100.0)})
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

// TestDaemonOpenSaysWhyItStops: the pins and the log are open before the
// model loads, so a model that does not load, or a stop during start-up,
// is written as records (start, fault, stop) before Open returns.
func TestDaemonOpenSaysWhyItStops(t *testing.T) {
	cfg := daemonConfig(t)
	var stdout syncBuffer
	if _, err := Open(Options{Config: cfg, Model: filepath.Join(t.TempDir(), "missing.neonet"), Stdout: &stdout}); err == nil {
		t.Fatal("opened a missing model")
	}
	var events []string
	for _, r := range records(t, stdout.String()) {
		events = append(events, r["event"]+":"+r["source"])
	}
	if want := []string{"start:", "fault:model", "stop:"}; !slices.Equal(events, want) || !strings.Contains(stdout.String(), "missing.neonet") {
		t.Errorf("records %v, want %v naming the model:\n%s", events, want, stdout.String())
	}

	stdout = syncBuffer{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // SIGTERM before the model is loaded
	if _, err := OpenContext(ctx, Options{Config: cfg, Stdout: &stdout}); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenContext after its context ended: %v", err)
	}
	if recs := records(t, stdout.String()); len(recs) != 2 || recs[0]["event"] != "start" || recs[1]["event"] != "stop" || recs[1]["reason"] != "" {
		t.Errorf("records %v, want start and stop, for no reason but the signal", recs)
	}
}

// TestDaemonStartsWithoutItsCamera: a camera that is not there is no
// error of Open; Run reports it as a fault and goes on.
func TestDaemonStartsWithoutItsCamera(t *testing.T) {
	var stdout syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	o := hooks{record: func(event string) {
		if event == "fault" {
			cancel()
		}
	}}
	d, err := Open(Options{Config: daemonConfig(t), Camera: filepath.Join(t.TempDir(), "camera.mp4"), Stdout: &stdout, Outputs: []Output{o}})
	if err != nil {
		t.Fatalf("Open without the camera: %v", err)
	}
	if err := d.Run(ctx, nil); err != nil {
		t.Errorf("Run: %v", err)
	}
	d.Close()
	if out := stdout.String(); !strings.Contains(out, "event=fault source=camera") || !strings.Contains(out, "no such file or folder") ||
		!strings.Contains(out, "pin GPIO22 -> high") {
		t.Errorf("no camera fault with the fault pin in:\n%s", out)
	}
}

// TestDaemonInstall: a model file the rules can use is installed over the
// configured one, which is kept as the previous model; one they cannot
// use is refused and every file stays as it was.
func TestDaemonInstall(t *testing.T) {
	config := daemonConfig(t)
	cfg, err := LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile(cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	m, err := modelfile.Load(cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	cifar := m.Labels
	save := func(name string, labels []string) (string, []byte) {
		m.Labels = labels
		path := filepath.Join(filepath.Dir(cfg.Model), name)
		if err := modelfile.Save(path, m); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		return path, b
	}
	other, _ := save("other.neonet", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"})
	m.Name = "retrained"
	same, sameBytes := save("same.neonet", slices.Clone(cifar))

	var stdout syncBuffer
	d, err := Open(Options{Config: config, Stdout: &stdout, CameraFPS: new(50.0)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, nil) }()

	if err := d.Install(t.Context(), other); err == nil || !strings.Contains(err.Error(), `"airplane" is not a class of the model`) {
		t.Errorf("installing a model without the rules' labels: %v", err)
	}
	if b, _ := os.ReadFile(cfg.Model); !bytes.Equal(b, original) {
		t.Error("a refused model replaced the configured one")
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("the refused model file: %v", err)
	}
	if err := d.Install(t.Context(), same); err != nil {
		t.Fatalf("installing a model with the rules' labels: %v", err)
	}
	if b, _ := os.ReadFile(cfg.Model); !bytes.Equal(b, sameBytes) {
		t.Error("the installed model is not the configured model file")
	}
	if b, _ := os.ReadFile(previousModel(cfg.Model)); !bytes.Equal(b, original) {
		t.Error("the replaced model was not kept")
	}
	if _, err := os.Stat(same); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the installed file is still there under its own name: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := d.Install(t.Context(), same); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("installing after Run returned: %v", err)
	}
	d.Close()
	out := stdout.String()
	refused, switched := strings.Index(out, "event=reload ok=0"), strings.Index(out, "event=reload ok=1 rules=1")
	if strings.Count(out, "event=reload") != 2 || refused < 0 || switched < refused {
		t.Errorf("want a refusal, then a switch:\n%s", out)
	}
}
