package firmware

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
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
	Model          string        // model file (neonet quantize output)
	Camera         string        // camera spec, handed to the camera package as is
	Threads        int           // inference threads; 0 means one per core
	GPIO           string        // pin backend: "periph" (real pins) or "sim"
	HeartbeatPin   string        // toggles on every classified frame; "" for none
	FaultPin       string        // lit while the camera or the model fails; "" for none
	StatusInterval time.Duration // period of status records
	RetryInterval  time.Duration // wait before retrying a failed camera or model
	Serial         SerialConfig
	Rules          []Rule

	file  string         // for error messages
	lines map[string]int // field path ("rule[2].pin") -> line in file
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
	defaultSerialPort     = "/dev/serial0"
	defaultBaud           = 115200
	defaultStatusInterval = 10 * time.Second
	defaultRetryInterval  = 2 * time.Second
	defaultMinScore       = 0.5
	defaultFrames         = 3
	defaultRelease        = 5
	defaultPulse          = 200 * time.Millisecond
	defaultBlink          = 250 * time.Millisecond
)

// fileConfig mirrors the TOML file; pointers tell "absent" from zero so
// that an explicit out-of-range value is reported, not replaced.
type fileConfig struct {
	Model          *string        `toml:"model"`
	Camera         *string        `toml:"camera"`
	Threads        *int           `toml:"threads"`
	GPIO           *string        `toml:"gpio"`
	HeartbeatPin   *string        `toml:"heartbeat_pin"`
	FaultPin       *string        `toml:"fault_pin"`
	StatusInterval *time.Duration `toml:"status_interval"`
	RetryInterval  *time.Duration `toml:"retry_interval"`
	Serial         struct {
		Port   *string `toml:"port"`
		Baud   *int    `toml:"baud"`
		Format *string `toml:"format"`
	} `toml:"serial"`
	Rules []struct {
		Labels    []string `toml:"labels"`
		MinScore  *float64 `toml:"min_score"`
		Frames    *int     `toml:"frames"`
		Release   *int     `toml:"release"`
		Pin       *string  `toml:"pin"`
		Mode      *string  `toml:"mode"`
		ActiveLow *bool    `toml:"active_low"`
		PulseMs   *int     `toml:"pulse_ms"`
		BlinkMs   *int     `toml:"blink_ms"`
	} `toml:"rule"`
}

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
	var f fileConfig
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) && pe.Position.Line > 0 {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		// Type mismatches come as "toml: line N (last key "k"): message".
		if m := decodeError.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s:%s: %s: %s", name, m[1], m[2], m[3])
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	c := &Config{file: name, lines: keyLines(data)}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		k := undecoded[0]
		return nil, c.errorf(c.undecodedPath(k), "unknown key (see docs/firmware.md for the keys)")
	}

	c.Model = orDefault(f.Model, defaultModel)
	c.Camera = orDefault(f.Camera, defaultCamera)
	c.Threads = orDefault(f.Threads, 0)
	c.GPIO = orDefault(f.GPIO, "periph")
	c.HeartbeatPin = orDefault(f.HeartbeatPin, "")
	c.FaultPin = orDefault(f.FaultPin, "")
	c.StatusInterval = orDefault(f.StatusInterval, defaultStatusInterval)
	c.RetryInterval = orDefault(f.RetryInterval, defaultRetryInterval)
	c.Serial.Port = orDefault(f.Serial.Port, defaultSerialPort)
	c.Serial.Baud = orDefault(f.Serial.Baud, defaultBaud)

	switch {
	case c.Model == "":
		return nil, c.errorf("model", "want the path of a model file")
	case c.Threads < 0 || c.Threads > 64:
		return nil, c.errorf("threads", "got %d, want 0 (one per core) to 64", c.Threads)
	case c.GPIO != "periph" && c.GPIO != "sim":
		return nil, c.errorf("gpio", `got %q, want "periph" or "sim"`, c.GPIO)
	case c.StatusInterval < time.Second || c.StatusInterval > 24*time.Hour:
		return nil, c.errorf("status_interval", `got %v, want a duration from "1s" to "24h"`, c.StatusInterval)
	case c.RetryInterval < 10*time.Millisecond || c.RetryInterval > time.Hour:
		return nil, c.errorf("retry_interval", `got %v, want a duration from "10ms" to "1h"`, c.RetryInterval)
	case !slices.Contains(standardBauds, c.Serial.Baud):
		return nil, c.errorf("serial.baud", "got %d, want one of %v", c.Serial.Baud, standardBauds)
	}
	if err := c.parseSerialFormat(orDefault(f.Serial.Format, "8N1")); err != nil {
		return nil, err
	}
	used := map[string]string{} // pin -> field that claimed it
	for _, field := range []string{"heartbeat_pin", "fault_pin"} {
		pin := c.HeartbeatPin
		if field == "fault_pin" {
			pin = c.FaultPin
		}
		if pin == "" {
			continue
		}
		if err := c.claimPin(used, field, pin); err != nil {
			return nil, err
		}
	}

	for i, fr := range f.Rules {
		at := func(key string) string { return fmt.Sprintf("rule[%d].%s", i+1, key) }
		r := Rule{
			Labels:    fr.Labels,
			MinScore:  float32(orDefault(fr.MinScore, defaultMinScore)),
			Frames:    orDefault(fr.Frames, defaultFrames),
			Release:   orDefault(fr.Release, defaultRelease),
			Pin:       orDefault(fr.Pin, ""),
			Mode:      Mode(orDefault(fr.Mode, string(ModeOn))),
			ActiveLow: orDefault(fr.ActiveLow, false),
			Pulse:     time.Duration(orDefault(fr.PulseMs, int(defaultPulse/time.Millisecond))) * time.Millisecond,
			Blink:     time.Duration(orDefault(fr.BlinkMs, int(defaultBlink/time.Millisecond))) * time.Millisecond,
		}
		minScore := orDefault(fr.MinScore, defaultMinScore)
		switch {
		case len(r.Labels) == 0:
			return nil, c.errorf(at("labels"), `want at least one label, e.g. labels = ["tabby"]`)
		case slices.Contains(r.Labels, ""):
			return nil, c.errorf(at("labels"), "empty label")
		case math.IsNaN(minScore) || minScore <= 0 || minScore > 1:
			return nil, c.errorf(at("min_score"), "got %v, want a score in (0, 1]", minScore)
		case r.Frames < 1 || r.Frames > 1000:
			return nil, c.errorf(at("frames"), "got %d, want 1 to 1000 frames", r.Frames)
		case r.Release < 1 || r.Release > 1000:
			return nil, c.errorf(at("release"), "got %d, want 1 to 1000 frames", r.Release)
		case fr.Pin == nil:
			return nil, c.errorf(at("pin"), `missing: want the output pin, e.g. pin = "GPIO17"`)
		case r.Mode != ModeOn && r.Mode != ModePulse && r.Mode != ModeBlink:
			return nil, c.errorf(at("mode"), `got %q, want "on", "pulse" or "blink"`, r.Mode)
		case fr.PulseMs != nil && (*fr.PulseMs < 1 || *fr.PulseMs > 60000):
			return nil, c.errorf(at("pulse_ms"), "got %d, want 1 to 60000 ms", *fr.PulseMs)
		case fr.BlinkMs != nil && (*fr.BlinkMs < 10 || *fr.BlinkMs > 60000):
			return nil, c.errorf(at("blink_ms"), "got %d, want 10 to 60000 ms", *fr.BlinkMs)
		}
		if err := c.claimPin(used, at("pin"), r.Pin); err != nil {
			return nil, err
		}
		c.Rules = append(c.Rules, r)
	}
	return c, nil
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
				return c.errorf(fmt.Sprintf("rule[%d].labels", i+1), "%q is not a class of the model (%s)", l, suggestLabels(l, modelLabels))
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
func (c *Config) Pins() []PinSpec {
	var pins []PinSpec
	if c.HeartbeatPin != "" {
		pins = append(pins, PinSpec{Name: c.HeartbeatPin})
	}
	if c.FaultPin != "" {
		pins = append(pins, PinSpec{Name: c.FaultPin})
	}
	for _, r := range c.Rules {
		pins = append(pins, PinSpec{Name: r.Pin, ActiveLow: r.ActiveLow})
	}
	return pins
}

// PinSpec is a pin by name and its polarity.
type PinSpec struct {
	Name      string
	ActiveLow bool
}

var decodeError = regexp.MustCompile(`^toml: line (\d+) \(last key "(.*?)"\): (.*)$`)

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

func (c *Config) claimPin(used map[string]string, field, pin string) error {
	if !pinName.MatchString(pin) {
		return c.errorf(field, `bad pin name %q: want a name such as "GPIO17", "P1_11" or "GPIO_PE6"`, pin)
	}
	if other, ok := used[pin]; ok {
		return c.errorf(field, "pin %s is already used by %s", pin, other)
	}
	used[pin] = field
	return nil
}

// errorf makes an error that names the file, the line of field (when it
// is in the file) and the field.
func (c *Config) errorf(field, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if line := c.line(field); line > 0 {
		return fmt.Errorf("%s:%d: %s: %s", c.file, line, field, msg)
	}
	return fmt.Errorf("%s: %s: %s", c.file, field, msg)
}

// line finds the line of field, or of the nearest enclosing table that is
// in the file (a missing key is reported at its table).
func (c *Config) line(field string) int {
	for f := field; f != ""; {
		if l, ok := c.lines[f]; ok {
			return l
		}
		i := strings.LastIndexByte(f, '.')
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

// undecodedPath turns a TOML key of an unknown field into our field path.
// BurntSushi's keys do not say which [[rule]] an entry came from, so the
// first rule holding that key name is blamed.
func (c *Config) undecodedPath(k toml.Key) string {
	if len(k) >= 2 && k[0] == "rule" {
		for i := 1; ; i++ {
			prefix := fmt.Sprintf("rule[%d]", i)
			if _, ok := c.lines[prefix]; !ok {
				break
			}
			if _, ok := c.lines[prefix+"."+strings.Join(k[1:], ".")]; ok {
				return prefix + "." + strings.Join(k[1:], ".")
			}
		}
	}
	return strings.Join(k, ".")
}

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// keyLines maps every key and table of a TOML file (already known to
// parse) to its line: "serial.port", "rule[2]" (1-based, in file order),
// "rule[2].pin". Only the first line of a key counts; the lines inside
// multi-line strings and arrays are skipped because they never start with
// "key =".
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	tables := map[string]int{} // array-of-tables name -> entries so far
	prefix := ""
	inString := "" // the delimiter of an open multi-line string
	for n, line := range strings.Split(string(data), "\n") {
		lineNo := n + 1
		s := strings.TrimSpace(line)
		if inString != "" {
			if strings.Count(s, inString)%2 == 1 {
				inString = ""
			}
			continue
		}
		switch {
		case s == "" || s[0] == '#':
			continue
		case strings.HasPrefix(s, "[["):
			end := strings.Index(s, "]]")
			if end < 0 {
				continue
			}
			name := normalizeKey(s[2:end])
			tables[name]++
			prefix = fmt.Sprintf("%s[%d]", name, tables[name])
			setFirst(lines, prefix, lineNo)
			continue
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				continue
			}
			prefix = normalizeKey(s[1:end])
			setFirst(lines, prefix, lineNo)
			continue
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || !isKey(s[:eq]) {
			continue
		}
		key := normalizeKey(s[:eq])
		if prefix != "" {
			key = prefix + "." + key
		}
		setFirst(lines, key, lineNo)
		for _, delim := range []string{`"""`, `'''`} {
			if strings.Count(s[eq:], delim)%2 == 1 {
				inString = delim
			}
		}
	}
	return lines
}

var keyPattern = regexp.MustCompile(`^\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*\s*$`)

func isKey(s string) bool { return keyPattern.MatchString(s) }

// normalizeKey drops spaces around dots and quotes around parts.
func normalizeKey(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

func setFirst(m map[string]int, k string, v int) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}
