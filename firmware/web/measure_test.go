package web

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"neonet.dev/neonet/firmware/teach"
)

func TestMeasureLoopDuringTraining(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.neonet")
	b, _ := os.ReadFile("/work/main/testdata/golden/int8/squeezenet1_1.neonet")
	os.WriteFile(model, b, 0o644)
	os.WriteFile(filepath.Join(dir, "token"), []byte("page-token\n"), 0o600)
	config := filepath.Join(dir, "neonet.toml")
	os.WriteFile(config, []byte(fmt.Sprintf(`model = %q
camera = "synthetic:640x480"
gpio = "sim"
[serial]
port = ""
[http]
listen = "127.0.0.1:0"
token_file = %q
teach_dir = %q
`, model, filepath.Join(dir, "token"), filepath.Join(dir, "classes"))), 0o644)
	for _, c := range []string{"cat", "ship", "truck"} {
		os.MkdirAll(filepath.Join(dir, "classes", c), 0o755)
		for i := range 200 {
			src := fmt.Sprintf("/work/shared/data/images/cifar10-dev/%s/%04d.jpg", c, i)
			os.Symlink(src, filepath.Join(dir, "classes", c, fmt.Sprintf("%04d.jpg", i)))
		}
	}
	tc := teacher{t, runDaemon(t, config).URL()}
	time.Sleep(3 * time.Second)
	frame := func() (uint64, time.Time) { st := tc.status(); return st.Frame, time.Now() }
	f0, t0 := frame()
	time.Sleep(8 * time.Second)
	f1, t1 := frame()
	t.Logf("idle: %.1f fps", float64(f1-f0)/t1.Sub(t0).Seconds())
	if code, body := tc.post("train", nil); code != 202 {
		t.Fatal(body)
	}
	f0, t0 = frame()
	var j *teach.Job
	for {
		time.Sleep(100 * time.Millisecond)
		if j = tc.status().Teach.Training; j.State != teach.Running {
			break
		}
	}
	f1, t1 = frame()
	t.Logf("training (%s, %.1f s, %d workers): %.1f fps", j.State, j.Seconds, tc.status().Teach.Workers, float64(f1-f0)/t1.Sub(t0).Seconds())
}
