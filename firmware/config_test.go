package firmware

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/pins"
	"neonet.dev/neonet/internal/testenv"
	"neonet.dev/neonet/models"
)

func TestExampleConfig(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(t), "deploy", "neonet.toml")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	imagenet, err := models.DefaultLabels("imagenet")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ValidateLabels(imagenet.Names); err != nil {
		t.Errorf("the example's labels are not ImageNet classes: %v", err)
	}
	if len(cfg.Rules) != 3 || cfg.Rules[1].Mode != ModePulse || cfg.Rules[1].Pulse != 500*time.Millisecond ||
		!cfg.Rules[2].ActiveLow || cfg.Rules[2].Blink != 250*time.Millisecond {
		t.Errorf("rules %+v", cfg.Rules)
	}
	if cfg.HeartbeatPin != "GPIO27" || cfg.FaultPin != "GPIO22" {
		t.Errorf("heartbeat %q fault %q", cfg.HeartbeatPin, cfg.FaultPin)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig("min.toml", []byte("[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := SerialConfig{Port: "/dev/serial0", Baud: 115200, DataBits: 8, Parity: 'N', StopBits: 1}
	if cfg.Serial != want {
		t.Errorf("serial %+v, want %+v", cfg.Serial, want)
	}
	if cfg.GPIO != "periph" || cfg.StatusInterval != 10*time.Second || cfg.Camera != "/dev/video0" || cfg.Threads != 0 {
		t.Errorf("defaults %+v", cfg)
	}
	if o := cfg.CameraOptions(); o != (camera.Options{FPS: 30}) || cfg.MaxFPS != 0 || cfg.FramePeriod() != 0 {
		t.Errorf("camera %+v, max_fps %v: want 30 fps at the device's size, no budget", o, cfg.MaxFPS)
	}
	r := cfg.Rules[0]
	if r.MinScore != 0.5 || r.Frames != 3 || r.Release != 5 || r.Mode != ModeOn || r.ActiveLow || r.Pulse != 200*time.Millisecond {
		t.Errorf("rule defaults %+v", r)
	}
	if specs := cfg.Pins(); len(specs) != 1 || specs[0] != (pins.Spec{Name: "GPIO17"}) {
		t.Errorf("pins %v", specs)
	}
}

// TestConfigErrors checks that each mistake is reported at its line and
// field, with what was expected.
func TestConfigErrors(t *testing.T) {
	const rules = `
[[rule]]
labels = ["tabby"]
pin = "GPIO17"

[[rule]]
labels = [
  "Egyptian cat",
]
pin = "GPIO18"
`
	tests := []struct {
		name, file string
		want       string
	}{
		{"unknown top-level key", "modle = \"x\"\n", "c.toml:1: modle: unknown key"},
		{"unknown key in second rule", rules + "colour = \"red\"\n", "c.toml:11: rule[2].colour: unknown key"},
		{"unknown key in serial", "[serial]\nport = \"/dev/ttyAMA0\"\nbaud_rate = 9600\n", "c.toml:3: serial.baud_rate: unknown key"},
		{"bad pin name", rules + "[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO 4\"\n", `c.toml:13: rule[3].pin: bad pin name "GPIO 4"`},
		{"pin used twice", rules + "[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\n", "c.toml:13: rule[3].pin: pin GPIO17 is already used by rule[1].pin"},
		{"pin used twice by another name", rules + "[[rule]]\nlabels = [\"tabby\"]\npin = \"17\"\n", "c.toml:13: rule[3].pin: pin 17 is GPIO17, already used by rule[1].pin (as GPIO17)"},
		{"heartbeat on a rule's pin", "heartbeat_pin = \"GPIO17\"\n" + rules, "c.toml:5: rule[1].pin: pin GPIO17 is already used by heartbeat_pin"},
		{"missing pin", "[[rule]]\nlabels = [\"tabby\"]\n", "c.toml:1: rule[1].pin: missing"},
		{"no labels", "[[rule]]\npin = \"GPIO4\"\n", "c.toml:1: rule[1].labels: want at least one label"},
		{"score above 1", rules + "min_score = 1.5\n", "c.toml:11: rule[2].min_score: got 1.5, want a score in (0, 1]"},
		{"zero frames", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nframes = 0\n", "c.toml:4: rule[1].frames: got 0, want 1 to 1000"},
		{"negative release", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nrelease = -2\n", "c.toml:4: rule[1].release: got -2"},
		{"bad mode", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nmode = \"strobe\"\n", `c.toml:4: rule[1].mode: got "strobe", want "on", "pulse" or "blink"`},
		{"blink too fast", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nblink_ms = 1\n", "c.toml:4: rule[1].blink_ms: got 1, want 10 to 60000 ms"},
		{"bad baud", "[serial]\nbaud = 115201\n", "c.toml:2: serial.baud: got 115201"},
		{"bad framing", "[serial]\nformat = \"9N1\"\n", `c.toml:2: serial.format: got "9N1"`},
		{"bad backend", "gpio = \"wiringpi\"\n", `c.toml:1: gpio: got "wiringpi", want "periph" or "sim"`},
		{"status too often", "status_interval = \"10ms\"\n", `c.toml:1: status_interval: got 10ms`},
		{"bad duration", "status_interval = \"soon\"\n", `c.toml:1:`},
		{"too many threads", "threads = 1000\n", "c.toml:1: threads: got 1000, want 0 (one per core) to 64"},
		{"negative budget", "\nmax_fps = -5\n", "c.toml:2: max_fps: got -5, want 0 (every frame) or 0.01 to 1000 frames a second"},
		{"budget too low", "max_fps = 0.001\n", "c.toml:1: max_fps: got 0.001, want 0 (every frame) or 0.01"},
		{"budget not a number", "max_fps = nan\n", "c.toml:1: max_fps: got NaN"},
		{"budget as a word", "max_fps = \"5\"\n", `c.toml:1: max_fps: got "5", want a number`},
		{"camera rate too high", "camera_fps = 5000\n", "c.toml:1: camera_fps: got 5000, want 0 (the camera's own rate) to 1000 frames a second"},
		{"camera rate infinite", "camera_fps = inf\n", "c.toml:1: camera_fps: got +Inf"},
		{"camera size without height", "\n\ncamera_size = \"640\"\n", `c.toml:3: camera_size: got "640", want WIDTHxHEIGHT, e.g. "640x480"`},
		{"camera size as numbers", "camera_size = [640, 480]\n", `c.toml:1: camera_size: got [640, 480], want a string in quotes`},
		{"wrong type", "\nthreads = \"four\"\n", `c.toml:2: threads: got "four", want a whole number`},
		{"syntax error", "[[rule]\n", "c.toml:2: expected end of table array name"},
		{"dotted key", "serial.baud = 7\n", "c.toml:1: serial.baud: got 7"},
		// Inside [[rule]] tables errors name the rule and point to its line,
		// not to the last table that has the key.
		{"wrong type in second rule", rules + "frames = \"three\"\n[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nframes = 2\n",
			`c.toml:11: rule[2].frames: got "three", want a whole number`},
		{"labels not a list", rules + "[[rule]]\nlabels = \"tabby\"\npin = \"GPIO4\"\n", `c.toml:12: rule[3].labels: got "tabby", want a list of strings`},
		// A fraction in the first of three rules is reported at its own
		// line, with the value and what is wanted.
		{"fraction in first rule", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nframes = 2.5\n" + rules + "frames = 2\n",
			"c.toml:4: rule[1].frames: got 2.5, want a whole number"},
		{"float that looks whole", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nrelease = 1e3\n", "c.toml:4: rule[1].release: got 1000.0, want a whole number"},
		{"number as pin", "[[rule]]\nlabels = [\"a\"]\npin = 17\n", "c.toml:3: rule[1].pin: got 17, want a string in quotes"},
		{"number as switch", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nactive_low = 1\n", "c.toml:4: rule[1].active_low: got 1, want true or false"},
		{"label that is no string", "[[rule]]\nlabels = [\"a\", 3]\npin = \"GPIO4\"\n", `c.toml:2: rule[1].labels: got ["a", 3], want a list of strings`},
		{"word as score", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nmin_score = \"high\"\n", `c.toml:4: rule[1].min_score: got "high", want a number`},
		{"duration in milliseconds key", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\npulse_ms = \"200ms\"\n", `c.toml:4: rule[1].pulse_ms: got "200ms", want a whole number`},
		{"rules as an inline array", "\nrule = [{labels = [\"a\"], pin = \"GPIO4\", frames = 2.5}]\n", "c.toml:2: rule[1].frames: got 2.5, want a whole number"},
		{"unknown key in two rules", "[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\ncolor = 1\n" + rules + "color = 2\n", "c.toml:4: rule[1].color: unknown key"},
		{"duration that is no duration", "\nretry_interval = \"soon\"\n", `c.toml:2: retry_interval: got "soon", want a duration such as "10s"`},
		{"duration of the wrong type", "status_interval = true\n", `c.toml:1: status_interval: got true, want a duration such as "10s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("c.toml", []byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestConfigWholeScore: a score may be written as a whole number.
func TestConfigWholeScore(t *testing.T) {
	cfg, err := ParseConfig("c.toml", []byte("[[rule]]\nlabels = [\"a\"]\npin = \"GPIO4\"\nmin_score = 1\n"))
	if err != nil || cfg.Rules[0].MinScore != 1 {
		t.Errorf("min_score = 1: %v", err)
	}
}

func TestValidateLabels(t *testing.T) {
	cfg, err := ParseConfig("c.toml", []byte("[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO4\"\n\n[[rule]]\nlabels = [\"tabby\", \"cat\"]\npin = \"GPIO5\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.ValidateLabels([]string{"tabby", "tiger cat", "Egyptian cat", "dog"})
	want := `c.toml:6: rule[2].labels: "cat" is not a class of the model (similar: "tiger cat", "Egyptian cat")`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if err := cfg.ValidateLabels([]string{"cat", "tabby"}); err != nil {
		t.Error(err)
	}
}

func TestKeyLines(t *testing.T) {
	src := `model = "m" # a comment with key = value
notes = """
fake = 1
"""
[serial]
 port = "/dev/ttyS0"
[[rule]]
labels = ["a=b",
  "c"]
"pin" = "GPIO4"
[[rule]]
pin = "GPIO5"
`
	got := keyLines([]byte(src))
	want := map[string]int{"model": 1, "notes": 2, "serial": 5, "serial.port": 6, "rule[1]": 7, "rule[1].labels": 8,
		"rule[1].pin": 10, "rule[2]": 11, "rule[2].pin": 12}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("%s at line %d, want %d", k, got[k], line)
		}
	}
	if _, ok := got["fake"]; ok {
		t.Error("a line inside a multi-line string was taken for a key")
	}
}

// FuzzParseConfig: whatever the file holds, parsing returns a config or an
// error naming the file, and never panics.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("[[rule]]\nlabels = [\"tabby\"]\npin = \"GPIO17\"\nmode = \"blink\"\nblink_ms = 100\n"))
	f.Add([]byte("model = \"m\"\n[serial]\nformat = \"7E2\"\nbaud = 9600\n"))
	f.Add([]byte("notes = '''\n[[rule]]\n'''\n[[rule]]\nlabels=['x']\npin='P1_11'\nmin_score=nan\n"))
	f.Add([]byte("status_interval = \"1h\"\nthreads = -1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Errorf("error without the file name: %v", err)
			}
			return
		}
		for _, r := range cfg.Rules {
			if r.Frames < 1 || r.Release < 1 || !(r.MinScore > 0 && r.MinScore <= 1) || r.Pin == "" {
				t.Errorf("invalid rule accepted: %+v", r)
			}
		}
		_ = cfg.ValidateLabels([]string{"x"})
	})
}

// TestConfigBudget: the frame-rate budget and the camera's rate and size
// as the file gives them.
func TestConfigBudget(t *testing.T) {
	cfg, err := ParseConfig("c.toml", []byte("max_fps = 5\ncamera_fps = 15\ncamera_size = \"640x480\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.CameraOptions(), (camera.Options{FPS: 15, Width: 640, Height: 480}); got != want {
		t.Errorf("camera %+v, want %+v", got, want)
	}
	if cfg.MaxFPS != 5 || cfg.FramePeriod() != 200*time.Millisecond {
		t.Errorf("max_fps %v, period %v", cfg.MaxFPS, cfg.FramePeriod())
	}
	cfg, err = ParseConfig("c.toml", []byte("max_fps = 1\ncamera_fps = 0\n"))
	if err != nil || cfg.FramePeriod() != time.Second || cfg.CameraFPS != 0 {
		t.Errorf("max_fps = 1, camera_fps = 0: %v, %+v", err, cfg)
	}
}
