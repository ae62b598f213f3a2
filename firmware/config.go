package firmware

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"neonet.dev/neonet/camera"
	"neonet.dev/neonet/firmware/pins"
)

// DefaultConfigPath is where the daemon reads its configuration.
const DefaultConfigPath = "/etc/neonet/neonet.toml"

// Mode is how a rule's pin shows a detection.
type Mode string

const (
	ModeOn    Mode = "on"    // high while detected
	ModePulse Mode = "pulse" // one pulse of PulseLength when a detection starts
	ModeBlink Mode = "blink" // blinks with half-period BlinkPeriod while detected
)

// Config is the daemon's configuration file, with defaults filled in.
type Config struct {
	Model  string // model file (neonet quantize output)
	Camera string // camera spec, handed to the camera package as is
	// CameraFPS is the frame rate asked of the camera; files and folders
	// play at it (0: as fast as they decode; a device's own rate).
	CameraFPS float64
	// CameraWidth and CameraHeight are the capture size asked of a
	// device; 0 is the device's.
	CameraWidth, CameraHeight int
	// MaxFPS is the frame-rate budget: at most this many frames are
	// classified a second, the camera's newest each time; 0 classifies
	// every frame the camera delivers.
	MaxFPS         float64
	Threads        int           // inference threads; 0 means one per core
	GPIO           string        // pin backend: "periph" (real pins) or "sim"
	HeartbeatPin   string        // toggles on every classified frame; "" for none
	FaultPin       string        // lit while the camera or the model fails; "" for none
	StatusInterval time.Duration // period of status records
	RetryInterval  time.Duration // wait before retrying a failed camera or model
	// StallTimeout is how long a call into the camera or the model may
	// go without returning before the daemon exits (status 1) for systemd
	// to start a fresh process.
	StallTimeout time.Duration
	Serial       SerialConfig
	Rules        []Rule
	HTTP         *HTTPConfig // the web page ([http]); nil without the section
	MQTT         *MQTTConfig // the MQTT client ([mqtt]); nil without the section

	file  string         // for error messages
	lines map[string]int // field path ("rule[2].pin") -> line in file (see keyLines)
}

// SerialConfig is the serial port the log records go to.
type SerialConfig struct {
	Port     string // device; "" disables the serial log (stdout still gets it)
	Baud     int
	DataBits int // 5..8
	Parity   byte
	StopBits int // 1 or 2
}

// Rule maps detections of some labels to one output pin.
type Rule struct {
	Labels    []string
	MinScore  float32 // a frame detects when one of Labels scores at least this
	Frames    int     // consecutive detecting frames before the rule activates
	Release   int     // consecutive frames without detection before it releases
	Pin       string
	Mode      Mode
	ActiveLow bool          // the pin is driven low when active (high is safe)
	Pulse     time.Duration // pulse length in mode "pulse"
	Blink     time.Duration // half-period in mode "blink"
}

// Defaults: what a user expects with an almost empty file.
const (
	defaultModel          = "/var/lib/neonet/model.neonet"
	defaultCamera         = "/dev/video0"
	defaultCameraFPS      = 30
	defaultSerialPort     = "/dev/serial0"
	defaultBaud           = 115200
	defaultStatusInterval = 10 * time.Second
	defaultRetryInterval  = 2 * time.Second
	defaultStallTimeout   = 3 * time.Minute
	defaultMinScore       = 0.5
	defaultFrames         = 3
	defaultRelease        = 5
	defaultPulse          = 200 * time.Millisecond
	defaultBlink          = 250 * time.Millisecond
)

// LoadConfig reads and checks a configuration file. Labels are checked
// later, against the model, by ValidateLabels.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig parses the configuration in data; name is the file name used
// in error messages, which read "name:LINE: field: what was expected".
func ParseConfig(name string, data []byte) (*Config, error) {
	f, c, err := decodeFile(name, data)
	if err != nil {
		return nil, err
	}
	if err := c.setGlobals(f); err != nil {
		return nil, err
	}
	if err := c.setNetwork(f); err != nil {
		return nil, err
	}
	used := map[string]claim{} // pin (Canonical) -> who claimed it
	for _, p := range []struct{ field, pin string }{{"heartbeat_pin", c.HeartbeatPin}, {"fault_pin", c.FaultPin}} {
		if p.pin == "" {
			continue
		}
		if err := c.claimPin(used, p.field, p.pin); err != nil {
			return nil, err
		}
	}
	for i, fr := range f.Rules {
		r, err := c.rule(i+1, fr)
		if err != nil {
			return nil, err
		}
		if err := c.claimPin(used, ruleField(i+1, "pin"), r.Pin); err != nil {
			return nil, err
		}
		c.Rules = append(c.Rules, r)
	}
	return c, nil
}

// setGlobals fills in and checks everything but the rules.
func (c *Config) setGlobals(f *fileConfig) error {
	c.Model = orDefault(f.Model, defaultModel)
	c.Camera = orDefault(f.Camera, defaultCamera)
	c.CameraFPS = orDefault(f.CameraFPS, defaultCameraFPS)
	c.MaxFPS = orDefault(f.MaxFPS, 0)
	c.Threads = orDefault(f.Threads, 0)
	c.GPIO = orDefault(f.GPIO, "periph")
	c.HeartbeatPin = orDefault(f.HeartbeatPin, "")
	c.FaultPin = orDefault(f.FaultPin, "")
	c.StatusInterval = orDefault(f.StatusInterval, defaultStatusInterval)
	c.RetryInterval = orDefault(f.RetryInterval, defaultRetryInterval)
	c.StallTimeout = orDefault(f.StallTimeout, defaultStallTimeout)
	c.Serial.Port = orDefault(f.Serial.Port, defaultSerialPort)
	c.Serial.Baud = orDefault(f.Serial.Baud, defaultBaud)

	switch {
	case c.Model == "":
		return c.errorf("model", "want the path of a model file")
	case !(c.CameraFPS >= 0 && c.CameraFPS <= maxRate):
		return c.errorf("camera_fps", "got %v, want 0 (the camera's own rate) to %d frames a second", c.CameraFPS, maxRate)
	case !(c.MaxFPS == 0 || c.MaxFPS >= minBudget && c.MaxFPS <= maxRate):
		return c.errorf("max_fps", "got %v, want 0 (every frame) or %v to %d frames a second", c.MaxFPS, minBudget, maxRate)
	case c.Threads < 0 || c.Threads > 64:
		return c.errorf("threads", "got %d, want 0 (one per core) to 64", c.Threads)
	case c.GPIO != "periph" && c.GPIO != "sim":
		return c.errorf("gpio", `got %q, want "periph" or "sim"`, c.GPIO)
	case c.StatusInterval < time.Second || c.StatusInterval > 24*time.Hour:
		return c.errorf("status_interval", `got %v, want a duration from "1s" to "24h"`, c.StatusInterval)
	case c.RetryInterval < 10*time.Millisecond || c.RetryInterval > time.Hour:
		return c.errorf("retry_interval", `got %v, want a duration from "10ms" to "1h"`, c.RetryInterval)
	case c.StallTimeout < 5*time.Second || c.StallTimeout > time.Hour:
		return c.errorf("stall_timeout", `got %v, want a duration from "5s" to "1h"`, c.StallTimeout)
	case !slices.Contains(standardBauds, c.Serial.Baud):
		return c.errorf("serial.baud", "got %d, want one of %v", c.Serial.Baud, standardBauds)
	}
	if size := orDefault(f.CameraSize, ""); size != "" {
		var err error
		if c.CameraWidth, c.CameraHeight, err = camera.ParseSize(size); err != nil {
			return c.errorf("camera_size", "got %q, want WIDTHxHEIGHT, e.g. \"640x480\", each side 1 to 16384", size)
		}
	}
	return c.parseSerialFormat(orDefault(f.Serial.Format, "8N1"))
}

// The frame rates the file accepts: camera_fps up to maxRate, max_fps
// from minBudget (a frame every 100 s) to maxRate.
const (
	maxRate   = 1000
	minBudget = 0.01
)

// CameraOptions are what the configuration asks of the camera: its
// frame rate and capture size.
func (c *Config) CameraOptions() camera.Options {
	return camera.Options{FPS: c.CameraFPS, Width: c.CameraWidth, Height: c.CameraHeight}
}

// FramePeriod is the shortest time between two classified frames under
// max_fps, 0 without a budget.
func (c *Config) FramePeriod() time.Duration {
	if c.MaxFPS <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / c.MaxFPS)
}

// rule fills in and checks the n-th (1-based) [[rule]] table.
func (c *Config) rule(n int, fr fileRule) (Rule, error) {
	at := func(key string) string { return ruleField(n, key) }
	minScore := orDefault(fr.MinScore, defaultMinScore)
	pulseMs := orDefault(fr.PulseMs, int(defaultPulse/time.Millisecond))
	blinkMs := orDefault(fr.BlinkMs, int(defaultBlink/time.Millisecond))
	r := Rule{
		Labels:    orDefault(fr.Labels, nil),
		MinScore:  float32(minScore),
		Frames:    orDefault(fr.Frames, defaultFrames),
		Release:   orDefault(fr.Release, defaultRelease),
		Pin:       orDefault(fr.Pin, ""),
		Mode:      Mode(orDefault(fr.Mode, string(ModeOn))),
		ActiveLow: orDefault(fr.ActiveLow, false),
		Pulse:     time.Duration(pulseMs) * time.Millisecond,
		Blink:     time.Duration(blinkMs) * time.Millisecond,
	}
	var err error
	switch {
	case len(r.Labels) == 0:
		err = c.errorf(at("labels"), `want at least one label, e.g. labels = ["tabby"]`)
	case slices.Contains(r.Labels, ""):
		err = c.errorf(at("labels"), "empty label")
	case math.IsNaN(minScore) || minScore <= 0 || minScore > 1:
		err = c.errorf(at("min_score"), "got %v, want a score in (0, 1]", minScore)
	case r.Frames < 1 || r.Frames > 1000:
		err = c.errorf(at("frames"), "got %d, want 1 to 1000 frames", r.Frames)
	case r.Release < 1 || r.Release > 1000:
		err = c.errorf(at("release"), "got %d, want 1 to 1000 frames", r.Release)
	case fr.Pin == nil:
		err = c.errorf(at("pin"), `missing: want the output pin, e.g. pin = "GPIO17"`)
	case r.Mode != ModeOn && r.Mode != ModePulse && r.Mode != ModeBlink:
		err = c.errorf(at("mode"), `got %q, want "on", "pulse" or "blink"`, r.Mode)
	case pulseMs < 1 || pulseMs > 60000:
		err = c.errorf(at("pulse_ms"), "got %d, want 1 to 60000 ms", pulseMs)
	case blinkMs < 10 || blinkMs > 60000:
		err = c.errorf(at("blink_ms"), "got %d, want 10 to 60000 ms", blinkMs)
	}
	return r, err
}

// ValidateLabels checks that every rule's labels are classes of the model.
func (c *Config) ValidateLabels(modelLabels []string) error {
	known := make(map[string]bool, len(modelLabels))
	for _, l := range modelLabels {
		known[l] = true
	}
	for i, r := range c.Rules {
		for _, l := range r.Labels {
			if !known[l] {
				return c.errorf(ruleField(i+1, "labels"), "%q is not a class of the model (%s)", l, suggestLabels(l, modelLabels))
			}
		}
	}
	return nil
}

// suggestLabels lists model labels that contain the unknown one's words,
// so "cat" points at "tabby cat"-like names instead of a 1000-line list.
func suggestLabels(unknown string, labels []string) string {
	var near []string
	for _, l := range labels {
		for _, w := range strings.Fields(strings.ToLower(unknown)) {
			if len(w) >= 3 && strings.Contains(strings.ToLower(l), w) {
				near = append(near, fmt.Sprintf("%q", l))
				break
			}
		}
		if len(near) == 5 {
			break
		}
	}
	if len(near) == 0 {
		return fmt.Sprintf("%d classes; 'neonet inspect MODEL' lists them", len(labels))
	}
	return "similar: " + strings.Join(near, ", ")
}

// Pins returns every pin the configuration drives: heartbeat, fault and
// the rules' pins.
func (c *Config) Pins() []pins.Spec {
	var specs []pins.Spec
	if c.HeartbeatPin != "" {
		specs = append(specs, pins.Spec{Name: c.HeartbeatPin})
	}
	if c.FaultPin != "" {
		specs = append(specs, pins.Spec{Name: c.FaultPin})
	}
	for _, r := range c.Rules {
		specs = append(specs, pins.Spec{Name: r.Pin, ActiveLow: r.ActiveLow})
	}
	return specs
}

var standardBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// parseSerialFormat reads "8N1"-style framing: data bits, parity (N, E, O),
// stop bits.
func (c *Config) parseSerialFormat(format string) error {
	if len(format) != 3 || format[0] < '5' || format[0] > '8' || !strings.ContainsRune("NEO", rune(format[1])) || (format[2] != '1' && format[2] != '2') {
		return c.errorf("serial.format", `got %q, want data bits 5-8, parity N/E/O and stop bits 1/2, e.g. "8N1"`, format)
	}
	c.Serial.DataBits = int(format[0] - '0')
	c.Serial.Parity = format[1]
	c.Serial.StopBits = int(format[2] - '0')
	return nil
}

// pinName accepts the names periph.io registers: "GPIO17", header
// positions ("P1_11"), plain numbers and Jetson/gpiochip line names
// ("GPIO_PE6", "PH.07"). Whether the pin exists is checked on the board.
var pinName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$`)

func (c *Config) claimPin(used map[string]claim, field, pin string) error {
	if !pinName.MatchString(pin) {
		return c.errorf(field, `bad pin name %q: want a name such as "GPIO17", "P1_11" or "GPIO_PE6"`, pin)
	}
	// "17" names GPIO17 too; header names ("P1_11") are aliases only the
	// board's registry knows, checked when the pins are opened.
	id := pins.Canonical(pin)
	if other, ok := used[id]; ok {
		if other.pin != pin {
			return c.errorf(field, "pin %s is %s, already used by %s (as %s)", pin, id, other.field, other.pin)
		}
		return c.errorf(field, "pin %s is already used by %s", pin, other.field)
	}
	used[id] = claim{field, pin}
	return nil
}

// claim is the field that uses a pin, and the name it gave it.
type claim struct{ field, pin string }
