package web

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/teach"
	"neonet.dev/neonet/internal/testenv"
)

// TestLoopDuringTraining: the frame loop keeps its pace while the teach
// panel trains (a training leaves the loop a core): SqueezeNet 1.1 int8
// on a 30 fps camera, its rate over 5 s idle and over a training on 3 x
// 40 CIFAR-10 photos, both logged. The rate during the training must stay
// above a third of the idle one.
func TestLoopDuringTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("a training of SqueezeNet 1.1 on 120 photos")
	}
	dir := t.TempDir()
	files := newTeachFiles(t, dir, "synthetic:640x480", "cat")
	b, err := os.ReadFile(testenv.Golden(t, "int8", "squeezenet1_1.neonet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	files.rule("tabby") // an ImageNet class, and one of the trained model
	for _, c := range []string{"cat", "ship", "tabby"} {
		class := filepath.Join(dir, "classes", c)
		if err := os.MkdirAll(class, 0o755); err != nil {
			t.Fatal(err)
		}
		src := c
		if c == "tabby" {
			src = "dog" // a third kind of photo under a label the rule names
		}
		for i := range 40 {
			photo := testenv.SharedData(t, "images", "cifar10-dev", src, fmt.Sprintf("%04d.jpg", i))
			if err := os.Symlink(photo, filepath.Join(class, fmt.Sprintf("%06d.jpg", i+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	tc := teacher{t, runDaemon(t, files.config).URL()}
	rate := func(during func() bool) float64 {
		st0, t0 := tc.status(), time.Now()
		for during() {
			time.Sleep(100 * time.Millisecond)
		}
		st1 := tc.status()
		return float64(st1.Frame-st0.Frame) / time.Since(t0).Seconds()
	}
	time.Sleep(2 * time.Second) // the loop at its pace
	end := time.Now().Add(5 * time.Second)
	idle := rate(func() bool { return time.Now().Before(end) })
	if code, body := tc.post("train", nil); code != 202 {
		t.Fatal(body)
	}
	var j *teach.Job
	training := rate(func() bool { j = tc.status().Teach.Training; return j.State == teach.Running })
	t.Logf("frame loop idle: %.1f fps; during a training (%s in %.1f s on %d worker(s)): %.1f fps",
		idle, j.State, j.Seconds, tc.status().Teach.Workers, training)
	if j.State != teach.Done {
		t.Fatalf("the training: %+v", j)
	}
	if training < idle/3 {
		t.Errorf("the loop ran at %.1f fps during the training, %.1f fps before", training, idle)
	}
}
