package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/internal/testenv"
)

// levels records a pin's transitions as the daemon drives them.
type levels struct {
	firmware.NopOutput
	mu      sync.Mutex
	changes []string
	done    func()
}

func (l *levels) Level(pin string, active bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes = append(l.changes, fmt.Sprintf("%s=%v", pin, active))
	if strings.HasSuffix(strings.Join(l.changes, " "), "GPIO17=true GPIO17=false") {
		l.done() // the new class came and went
	}
	return nil
}

// A model trained on two new classes runs in the daemon unchanged: a rule
// on one of the new labels lights its pin while photos of that class are
// in front of the camera, and releases it when they are gone.
func TestTrainedModelDrivesAPinInTheDaemon(t *testing.T) {
	dir := t.TempDir()
	data := cifarFolders(t, filepath.Join(dir, "photos"), []string{"cat", "ship"}, 0, 40)
	for cifar, label := range map[string]string{"cat": "kitty", "ship": "boat"} {
		if err := os.Rename(filepath.Join(data, cifar), filepath.Join(data, label)); err != nil {
			t.Fatal(err)
		}
	}
	model := filepath.Join(dir, "pets.neonet")
	_, rep, err := Run(Config{Backbone: testenv.Golden(t, "int8", "squeezenet1_1.neonet"), Data: data, Out: model})
	if err != nil {
		t.Fatal(err)
	}
	// The camera: boats, then cats, then boats, none of them trained on.
	frames := cameraFolder(t, filepath.Join(dir, "camera"), "ship", "cat", "ship")
	config := filepath.Join(dir, "neonet.toml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`model = %q
camera = %q
gpio = "sim"

[serial]
port = ""

[[rule]]
labels = ["kitty"]
min_score = 0.5
frames = 2
release = 2
pin = "GPIO17"
`, model, frames)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pins := &levels{done: cancel}
	stdout := &testenv.Buffer{}
	d, err := firmware.Open(firmware.Options{Config: config, Stdout: stdout, Outputs: []firmware.Output{pins},
		CameraFPS: new(4.0)})
	if err != nil {
		t.Fatal(err)
	}
	runErr := d.Run(ctx, nil)
	d.Close()
	if runErr != nil {
		t.Fatal(runErr)
	}
	pins.mu.Lock()
	defer pins.mu.Unlock()
	if got := strings.Join(pins.changes, " "); !strings.Contains(got, "GPIO17=true GPIO17=false") {
		t.Errorf("pin changes %q, want GPIO17 on then off (training: %.0f%% on %d photos); output:\n%s",
			got, 100*rep.Train.Accuracy, rep.Train.Photos, stdout.String())
	}
	if !strings.Contains(stdout.String(), `event=detect rule=1 label="kitty"`) {
		t.Errorf("no detection of the new label in the records:\n%s", stdout.String())
	}
}

// cameraFolder copies six held-out photos of cifar10-dev's class for each
// of seq, in order, into a folder a camera plays (numbered frames).
func cameraFolder(t *testing.T, dir string, seq ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, class := range seq {
		for i := range 6 {
			b, err := os.ReadFile(testenv.SharedData(t, "images", "cifar10-dev", class, fmt.Sprintf("%04d.jpg", 150+i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", n)), b, 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return dir
}
