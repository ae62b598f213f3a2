package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/live"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/testenv"
)

const testConfig = `
[[rule]]
labels = ["cat", "dog"]
pin = "GPIO17"

[[rule]]
labels = ["ship"]
pin = "GPIO23"
mode = "blink"

[http]
listen = "127.0.0.1:0"
`

var testLabels = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// newTestServer starts a server on a free loopback port, configured with
// testConfig; extra is appended to the configuration.
func newTestServer(t *testing.T, extra string) (*Server, *firmware.Config) {
	t.Helper()
	cfg, err := firmware.ParseConfig("test.toml", []byte(testConfig+extra))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(*cfg.HTTP, http.NotFoundHandler(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Configure(cfg, testLabels)
	return s, cfg
}

// blueFrame is a w x h frame of pure blue (BGR), with padded rows.
func blueFrame(w, h int) *camera.Frame {
	f := &camera.Frame{Width: w, Height: h, Stride: 3*w + 5, Pix: make([]byte, (3*w+5)*h)}
	for y := range h {
		for x := range w {
			f.Pix[y*f.Stride+3*x] = 255
		}
	}
	return f
}

// scores makes one score per test label, cat the highest.
func scores() []firmware.Score {
	s := make([]firmware.Score, len(testLabels))
	for i, l := range testLabels {
		s[i] = firmware.Score{Index: i, Label: l, Score: 0.01 * float32(i)}
	}
	s[3].Score = 0.7
	return s
}

func get(t *testing.T, url string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req, header...)
}

// do sends req with the header's name, value pairs and returns the
// answer's status and body.
func do(t *testing.T, req *http.Request, header ...string) (int, []byte) {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

var t0 = time.Date(2026, 11, 28, 21, 0, 0, 123e6, time.UTC)

func detect(rule int, label string, score float64, pin string) *serlog.Record {
	return serlog.New(t0, "detect").Int("rule", int64(rule)).Str("label", label).Float("score", score, 2).Word("pin", pin).Int("state", 1)
}

func release(rule int, label, pin string) *serlog.Record {
	return serlog.New(t0, "release").Int("rule", int64(rule)).Str("label", label).Word("pin", pin).Int("state", 0)
}

// TestStatus: the JSON status has the model's classes, the top-5 in
// order, the rules with their state and pin, the faults and the records.
func TestStatus(t *testing.T) {
	s, _ := newTestServer(t, "")
	now := time.Now()
	for i := range 30 {
		s.Frame(&firmware.Frame{Time: now.Add(time.Duration(i) * 50 * time.Millisecond), Seq: uint64(i + 1), Pixels: blueFrame(8, 6), Scores: scores(), Infer: 4 * time.Millisecond})
	}
	s.Level("GPIO17", true)
	s.Record(detect(1, "cat", 0.7, "GPIO17"))
	s.Record(serlog.New(t0, "fault").Word("source", "camera").Str("error", "no such device").Int("attempt", 1))
	s.Record(serlog.New(t0, "status").Float("fps", 20, 1))

	code, body := get(t, s.URL()+"api/status")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var st live.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Labels) != 10 || st.Frame != 30 || st.InferMs != 4 || st.FPS < 19 || st.FPS > 21 {
		t.Errorf("labels %d, frame %d, infer %v ms, fps %v", len(st.Labels), st.Frame, st.InferMs, st.FPS)
	}
	var top []string
	for _, p := range st.Top {
		top = append(top, p.Label)
	}
	if strings.Join(top, ",") != "cat,truck,ship,horse,frog" {
		t.Errorf("top-5 %v", top)
	}
	if len(st.Rules) != 2 || !st.Rules[0].Active || st.Rules[0].Pin != "GPIO17" || st.Rules[0].Label != "cat" ||
		st.Rules[1].Active || st.Rules[1].Mode != "blink" {
		t.Errorf("rules %+v", st.Rules)
	}
	if len(st.Pins) != 1 || st.Pins[0] != (live.Pin{Name: "GPIO17", Active: true}) {
		t.Errorf("pins %+v", st.Pins)
	}
	if len(st.Faults) != 1 || !st.Faults[0].Active || st.Faults[0].Source != "camera" || st.Faults[0].Error != "no such device" {
		t.Errorf("faults %+v", st.Faults)
	}
	if len(st.Records) != 2 || st.Records[0].Event != "detect" || st.Records[1].Event != "fault" {
		t.Errorf("records %+v", st.Records)
	}
	for _, path := range []string{"", "?x=1"} {
		if code, body := get(t, s.URL()+path); code != 200 || !bytes.Contains(body, []byte("<title>neonet</title>")) {
			t.Errorf("page %q: %d %.100s", path, code, body)
		}
	}
	if code, _ := get(t, s.URL()+"nothing"); code != 404 {
		t.Errorf("unknown path: %d, want 404", code)
	}
}

// TestToken: with a token file, every request needs the token, in the
// Authorization header or the query.
func TestToken(t *testing.T) {
	file := testenv.TempFile(t, "token", "s3cret\n")
	s, _ := newTestServer(t, "token_file = \""+file+"\"\n")
	for _, path := range []string{"", "api/status", "snapshot.jpg", "stream.mjpg", "api/events", "metrics"} {
		if code, _ := get(t, s.URL()+path); code != http.StatusUnauthorized {
			t.Errorf("/%s without the token: %d, want 401", path, code)
		}
		if code, _ := get(t, s.URL()+path+"?token=wrong"); code != http.StatusUnauthorized {
			t.Errorf("/%s with a wrong token: %d, want 401", path, code)
		}
	}
	if code, _ := get(t, s.URL()+"api/status", "Authorization", "Bearer s3cret"); code != 200 {
		t.Errorf("with the header: %d", code)
	}
	if code, _ := get(t, s.URL()+"?token=s3cret"); code != 200 {
		t.Errorf("with ?token=: %d", code)
	}
	if !strings.Contains(s.String(), "token required") {
		t.Errorf("description %q", s.String())
	}
	if err := os.WriteFile(file, []byte("two words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(firmware.HTTPConfig{Listen: "127.0.0.1:0", TokenFile: file, StreamFPS: 1}, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "http.token_file") {
		t.Errorf("a token with a space: %v", err)
	}
}

// feed gives the server a blue frame every 10 ms until stop is closed.
func feed(s *Server, stop <-chan struct{}) {
	f := blueFrame(32, 24)
	for i := uint64(1); ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		f.Seq = i
		s.Frame(&firmware.Frame{Time: time.Now(), Seq: i, Pixels: f, Scores: scores()})
	}
}

// TestPictures: /snapshot.jpg and /stream.mjpg are JPEGs of the frames,
// in their colours.
func TestPictures(t *testing.T) {
	s, _ := newTestServer(t, "stream_fps = 20\n")
	stop := make(chan struct{})
	defer close(stop)
	go feed(s, stop)

	code, body := get(t, s.URL()+"snapshot.jpg")
	if code != 200 {
		t.Fatalf("snapshot: %d %s", code, body)
	}
	checkBlue(t, body)

	resp, err := http.Get(s.URL() + "stream.mjpg")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(resp.Body, params["boundary"])
	for range 3 {
		p, err := parts.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("part type %q", p.Header.Get("Content-Type"))
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		checkBlue(t, data)
	}
}

func checkBlue(t *testing.T, data []byte) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 24 {
		t.Errorf("JPEG of %v, want 32x24", b)
	}
	r, g, b, _ := img.At(16, 12).RGBA()
	if b>>8 < 200 || r>>8 > 60 || g>>8 > 60 {
		t.Errorf("the blue frame came out as rgb(%d, %d, %d)", r>>8, g>>8, b>>8)
	}
}

// TestSnapshotWithoutFrames: no camera frame in time is a 503.
func TestSnapshotWithoutFrames(t *testing.T) {
	s, _ := newTestServer(t, "")
	start := time.Now()
	if code, _ := get(t, s.URL()+"snapshot.jpg"); code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	if el := time.Since(start); el < snapshotWait || el > snapshotWait+2*time.Second {
		t.Errorf("answered after %v, want %v", el, snapshotWait)
	}
}

// readEvent reads one Server-Sent Event.
func readEvent(t *testing.T, r *bufio.Reader) (event, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		}
	}
}

func openStream(t *testing.T, url string) *bufio.Reader {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	return bufio.NewReader(resp.Body)
}

// TestStreams: an EventSource on /api/status gets the state as it changes;
// /api/events gets the records as they happen.
func TestStreams(t *testing.T) {
	s, _ := newTestServer(t, "")
	status := openStream(t, s.URL()+"api/status")
	if ev, data := readEvent(t, status); ev != "status" || !strings.Contains(data, `"rules":[{"rule":1`) {
		t.Errorf("first event %q %s", ev, data)
	}
	events := openStream(t, s.URL()+"api/events")
	s.Frame(&firmware.Frame{Time: time.Now(), Seq: 7, Scores: scores()})
	for {
		ev, data := readEvent(t, status)
		var st live.Status
		if err := json.Unmarshal([]byte(data), &st); ev != "status" || err != nil {
			t.Fatalf("event %q: %v", ev, err)
		}
		if st.Frame == 7 {
			if st.Labels != nil {
				t.Errorf("the stream repeats the %d labels", len(st.Labels))
			}
			break
		}
	}
	// A subscriber of /api/events is there once the stream has started;
	// records from then on arrive.
	for range 50 {
		if s.Subscribers() > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Record(serlog.New(t0, "status").Float("fps", 1, 1))
	s.Record(release(1, "cat", "GPIO17"))
	ev, data := readEvent(t, events)
	if ev != "record" || data != `{"t":"2026-11-28T21:00:00.123Z","event":"release","rule":1,"label":"cat","pin":"GPIO17","state":0}` {
		t.Errorf("record event %q %s", ev, data)
	}
}

// TestFrameDoesNotAllocate: with nobody watching, and between two copies
// of the picture, a frame costs the loop no allocation.
func TestFrameDoesNotAllocate(t *testing.T) {
	s, _ := newTestServer(t, "")
	f := &firmware.Frame{Time: time.Now(), Pixels: blueFrame(64, 48), Scores: scores()}
	if n := testing.AllocsPerRun(200, func() { f.Seq++; s.Frame(f) }); n != 0 {
		t.Errorf("%v allocations a frame with nobody watching", n)
	}
	defer s.stream.watch()()
	s.Frame(f) // the first copy sizes the buffer
	if n := testing.AllocsPerRun(200, func() { f.Seq++; s.Frame(f) }); n != 0 {
		t.Errorf("%v allocations a frame while watched, between copies", n)
	}
}

// TestOpenWarns: a server reachable from the network without a token is
// announced on stderr; on loopback, or with a token, it is not.
func TestOpenWarns(t *testing.T) {
	file := testenv.TempFile(t, "token", "x")
	for _, c := range []struct {
		http string
		warn bool
	}{
		{`listen = "127.0.0.1:0"`, false},
		{`listen = "0.0.0.0:0"`, true},
		{"listen = \"0.0.0.0:0\"\ntoken_file = \"" + file + "\"", false},
	} {
		cfg, err := firmware.ParseConfig("t.toml", []byte("[http]\n"+c.http+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		outs, err := Open(firmware.OutputEnv{Config: cfg, Stderr: &stderr})
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != 2 {
			t.Errorf("%d outputs, want the page and the metrics", len(outs))
		}
		outs[0].(*Server).Close()
		if got := strings.Contains(stderr.String(), "warning: the web page at http://0.0.0.0:"); got != c.warn {
			t.Errorf("%s: warning %v, want %v: %q", c.http, got, c.warn, stderr.String())
		}
	}
	if outs, err := Open(firmware.OutputEnv{Config: &firmware.Config{}}); outs != nil || err != nil {
		t.Errorf("without [http]: %v, %v", outs, err)
	}
}

// BenchmarkCopy is what the loop pays for each frame it copies for the
// live picture (at most stream_fps a second, only while someone watches):
// a 640x480 frame.
func BenchmarkCopy(b *testing.B) {
	src, dst := blueFrame(640, 480), &camera.Frame{}
	b.SetBytes(int64(len(src.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		copyFrame(dst, src)
	}
}

// BenchmarkEncode is what the encoder goroutine spends on each picture
// it serves (at most stream_fps a second): a 640x480 frame to JPEG.
func BenchmarkEncode(b *testing.B) {
	s := newStream(30)
	src := blueFrame(640, 480)
	for y := range src.Height { // a gradient, not one flat colour
		for x := range 3 * src.Width {
			src.Pix[y*src.Stride+x] = byte(x + y)
		}
	}
	done := make(chan struct{})
	defer close(done)
	go s.encode(done)
	b.ReportAllocs()
	for b.Loop() {
		_, fresh := s.current()
		buf := <-s.free
		copyFrame(buf, src)
		s.work <- buf
		<-fresh
	}
}
