package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/teach"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/internal/testmodel"
	"neonet.dev/neonet/modelfile"
)

// post sends a form and returns the answer's status and body.
func post(t *testing.T, url string, form url.Values, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, body := do(t, req, header...)
	return code, string(body)
}

func label(l string) url.Values { return url.Values{"label": {l}} }

// TestTeachNeedsAToken: without a token file the teach panel shows the
// classes but nothing that changes them or the model is accepted; with
// one, every request needs the token, and photos are saved numbered.
func TestTeachNeedsAToken(t *testing.T) {
	dir := t.TempDir()
	classes := filepath.Join(dir, "classes")
	installed := 0
	install := func(context.Context, string) error { installed++; return nil }
	s, err := New(firmware.HTTPConfig{Listen: "127.0.0.1:0", StreamFPS: 5, TeachDir: classes}, nil, install)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.MkdirAll(filepath.Join(classes, "open"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, form := range map[string]url.Values{"photo": label("open"), "train": nil, "stop": nil, "remove": label("open")} {
		if code, body := post(t, s.URL()+"api/teach/"+path, form); code != http.StatusForbidden || !strings.Contains(body, "token_file") {
			t.Errorf("%s without a token file: %d %s", path, code, body)
		}
	}
	code, body := get(t, s.URL()+"api/status")
	var st Status
	if err := json.Unmarshal(body, &st); code != 200 || err != nil || st.Teach == nil {
		t.Fatalf("status %d %v: %s", code, err, body)
	}
	if st.Teach.ReadOnly != noToken || st.Teach.Dir != classes || !slices.Equal(st.Teach.Classes, []teach.Class{{Name: "open"}}) {
		t.Errorf("teach status %+v", st.Teach)
	}
	if !strings.Contains(s.String(), "(no token, teach panel read-only; metrics") {
		t.Errorf("description %q", s.String())
	}
	if _, err := os.Stat(filepath.Join(classes, "open")); err != nil || installed != 0 {
		t.Errorf("something changed: %v, %d installs", err, installed)
	}

	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = New(firmware.HTTPConfig{Listen: "127.0.0.1:0", StreamFPS: 5, TeachDir: classes, TokenFile: token}, nil, install)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(s.String(), "(token required; teach panel, photos in "+classes+"; metrics") {
		t.Errorf("description %q", s.String())
	}
	stop := make(chan struct{})
	defer close(stop)
	go feed(s, stop)
	for _, path := range []string{"photo", "train", "stop", "remove"} {
		if code, _ := post(t, s.URL()+"api/teach/"+path, label("open")); code != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d", path, code)
		}
		if code, _ := post(t, s.URL()+"api/teach/"+path+"?token=wrong", label("open")); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d", path, code)
		}
	}
	auth := []string{"Authorization", "Bearer s3cret"}
	var files []string
	for range 2 {
		code, body := post(t, s.URL()+"api/teach/photo", label("open"), auth...)
		var saved teach.Saved
		if err := json.Unmarshal([]byte(body), &saved); code != 200 || err != nil {
			t.Fatalf("saving a photo: %d %s", code, body)
		}
		files = append(files, fmt.Sprintf("%s %d", saved.File, saved.Photos))
	}
	if code, body := post(t, s.URL()+"api/teach/photo?token=s3cret", label("closed")); code != 200 || !strings.Contains(body, `"closed/000001.jpg"`) {
		t.Errorf("saving with ?token=: %d %s", code, body)
	}
	if want := []string{"open/000001.jpg 1", "open/000002.jpg 2"}; !slices.Equal(files, want) {
		t.Errorf("saved %v, want %v", files, want)
	}
	checkBlueFile(t, filepath.Join(classes, "open", "000002.jpg"))
	for _, bad := range []string{"", "../x", ".hidden", "a/b"} {
		if code, body := post(t, s.URL()+"api/teach/photo", label(bad), auth...); code != http.StatusBadRequest || !strings.Contains(body, "class name") {
			t.Errorf("label %q: %d %s", bad, code, body)
		}
	}
	if code, _ := post(t, s.URL()+"api/teach/remove", label("nothing"), auth...); code != http.StatusNotFound {
		t.Errorf("removing a class that is not there: %d", code)
	}
	if code, body := post(t, s.URL()+"api/teach/stop", nil, auth...); code != http.StatusConflict || !strings.Contains(body, "no training is running") {
		t.Errorf("stopping with no training: %d %s", code, body)
	}
	if code, _ := get(t, s.URL()+"api/teach/train?token=s3cret"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET of a POST: %d", code)
	}
	code, body = get(t, s.URL()+"api/teach", auth...)
	var ts TeachStatus
	if err := json.Unmarshal(body, &ts); code != 200 || err != nil || ts.ReadOnly != "" ||
		!slices.Equal(ts.Classes, []teach.Class{{Name: "closed", Photos: 1}, {Name: "open", Photos: 2}}) {
		t.Errorf("teach status %d %s", code, body)
	}
}

func checkBlueFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkBlue(t, b)
}

// teachFiles are a daemon configuration for a copy of the test model on
// a camera with simulated pins, a rule on GPIO17 and a web page with a
// token and the teach panel, and the model's file.
type teachFiles struct {
	t                     *testing.T
	config, model, camera string
}

// newTeachFiles writes the files in dir, the rule for labels.
func newTeachFiles(t *testing.T, dir, camera string, labels ...string) teachFiles {
	t.Helper()
	f := teachFiles{t: t, config: filepath.Join(dir, "neonet.toml"), model: filepath.Join(dir, "model.neonet"), camera: camera}
	if err := modelfile.Save(f.model, testmodel.ShiftResNet20(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("page-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.rule(labels...)
	return f
}

// rule writes the configuration again with the rule for labels, as a
// user edits it.
func (f teachFiles) rule(labels ...string) {
	f.t.Helper()
	quoted, _ := json.Marshal(labels)
	dir := filepath.Dir(f.config)
	text := fmt.Sprintf(`model = %q
camera = %q
gpio = "sim"

[serial]
port = ""

[[rule]]
labels = %s
min_score = 0.01
frames = 1
pin = "GPIO17"

[http]
listen = "127.0.0.1:0"
token_file = %q
teach_dir = %q
`, f.model, f.camera, quoted, filepath.Join(dir, "token"), filepath.Join(dir, "classes"))
	if err := os.WriteFile(f.config, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// runDaemon runs the daemon of a configuration file on its camera at 30
// frames a second (a video file looping), with its web page, until the
// test ends.
func runDaemon(t *testing.T, config string) *Server {
	t.Helper()
	var srv *Server
	open := func(env firmware.OutputEnv) ([]firmware.Output, error) {
		outs, err := Open(env)
		if err == nil {
			srv = outs[0].(*Server)
		}
		return outs, err
	}
	d, err := firmware.Open(firmware.Options{Config: config, Stdout: &testenv.Buffer{}, Openers: []firmware.OutputOpener{open},
		CameraFPS: new(30.0), Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if !strings.Contains(d.String(), "web page "+srv.URL()) {
		t.Errorf("the daemon's description %q lacks the page's address %s", d, srv.URL())
	}
	return srv
}

// teacher drives the teach API of a page with the token.
type teacher struct {
	t   *testing.T
	url string
}

func (tc teacher) post(path string, form url.Values) (int, string) {
	tc.t.Helper()
	return post(tc.t, tc.url+"api/teach/"+path, form, "Authorization", "Bearer page-token")
}

func (tc teacher) status() Status {
	tc.t.Helper()
	code, body := get(tc.t, tc.url+"api/status", "Authorization", "Bearer page-token")
	var st Status
	if err := json.Unmarshal(body, &st); code != 200 || err != nil || st.Teach == nil {
		tc.t.Fatalf("status %d %v: %s", code, err, body)
	}
	return st
}

func (tc teacher) photos(l string, n int) {
	tc.t.Helper()
	for range n {
		if code, body := tc.post("photo", label(l)); code != 200 {
			tc.t.Fatalf("saving a photo of %s: %d %s", l, code, body)
		}
	}
}

// train starts a training and returns the job once it has ended.
func (tc teacher) train() *teach.Job {
	tc.t.Helper()
	if code, body := tc.post("train", nil); code != http.StatusAccepted {
		tc.t.Fatalf("train: %d %s", code, body)
	}
	return tc.ended()
}

// ended returns the last training once it has ended.
func (tc teacher) ended() *teach.Job {
	tc.t.Helper()
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(20 * time.Millisecond) {
		if j := tc.status().Teach.Training; j != nil && j.State != teach.Running {
			return j
		}
	}
	tc.t.Fatal("the training did not end in a minute")
	return nil
}

// waitForLabels waits until the loop classifies frames with a model of
// labels: the status's classes and every top class.
func (tc teacher) waitForLabels(labels ...string) {
	tc.t.Helper()
	var st Status
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		st = tc.status()
		ok := slices.Equal(st.Labels, labels) && len(st.Top) == min(len(labels), 5)
		for _, p := range st.Top {
			ok = ok && slices.Contains(labels, p.Label)
		}
		if ok {
			return
		}
	}
	tc.t.Fatalf("the loop runs labels %v (top %+v), want %v", st.Labels, st.Top, labels)
}

// TestTeachInTheDaemon: photos saved from the camera through the page
// train a new model that the running daemon switches to; a training that
// fails, or a model the rules cannot use, leaves the old model running.
func TestTeachInTheDaemon(t *testing.T) {
	dir := t.TempDir()
	files := newTeachFiles(t, dir, "synthetic:320x240", "cat")
	model := files.model
	original, _ := os.ReadFile(model)
	tc := teacher{t, runDaemon(t, files.config).URL()}
	cifar := testmodel.ShiftResNet20(t).Labels
	tc.waitForLabels(cifar...)

	tc.photos("a", 3)
	if j := tc.train(); j.State != teach.Failed || !strings.Contains(j.Error, "only one class") {
		t.Errorf("one class: %+v", j)
	}
	tc.photos("b", 3)
	if code, body := tc.post("train", nil); code != http.StatusAccepted {
		t.Fatalf("train: %d %s", code, body)
	}
	if code, body := tc.post("stop", nil); code != http.StatusAccepted {
		t.Fatalf("stop: %d %s", code, body)
	}
	if j := tc.ended(); j.State != teach.Failed || !strings.HasPrefix(j.Error, "stopped before its end") {
		t.Errorf("a stopped training: %+v", j)
	}
	j := tc.train()
	if j.State != teach.Failed || !strings.Contains(j.Error, `refused, the old one keeps running`) ||
		!strings.Contains(j.Error, `rule[1].labels: "cat" is not a class of the model`) || j.Model != teach.NewModel(model) {
		t.Errorf("a model without the rule's label: %+v", j)
	}
	if b, _ := os.ReadFile(model); string(b) != string(original) {
		t.Error("a refused model replaced the running one's file")
	}
	tc.waitForLabels(cifar...)

	if code, body := tc.post("remove", label("a")); code != 200 {
		t.Fatalf("remove: %d %s", code, body)
	}
	tc.photos("cat", 4)
	j = tc.train()
	if j.State != teach.Done || j.Model != model || j.Error != "" ||
		!slices.Equal(j.Counts, []teach.Count{{Name: "b", Train: 2, Val: 1}, {Name: "cat", Train: 3, Val: 1}}) || j.ValAcc == nil {
		t.Fatalf("training b and cat: %+v", j)
	}
	tc.waitForLabels("b", "cat")
	m, err := modelfile.Load(model)
	if err != nil || !slices.Equal(m.Labels, []string{"b", "cat"}) {
		t.Errorf("the configured model file after the training: %v, %v", m, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "model.previous.neonet")); string(b) != string(original) {
		t.Error("the replaced model was not kept as model.previous.neonet")
	}

	// Again, from the trained model, with a third class; the rule names
	// it, in a configuration edited meanwhile.
	files.rule("dog")
	tc.photos("dog", 2)
	if j := tc.train(); j.State != teach.Done {
		t.Fatalf("training again: %+v", j)
	}
	tc.waitForLabels("b", "cat", "dog")
	if st := tc.status(); len(st.Rules) != 1 || !slices.Equal(st.Rules[0].Labels, []string{"dog"}) {
		t.Errorf("rules %+v after the configuration was read again", st.Rules)
	}
}
