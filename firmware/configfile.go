package firmware

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// This file reads the TOML file: decoding, the field paths and lines that
// error messages name, and the keys nobody reads.

// fileConfig mirrors the TOML file; pointers tell "absent" from zero so
// that an explicit out-of-range value is reported, not replaced.
type fileConfig struct {
	Model          *value[string]        `toml:"model"`
	Camera         *value[string]        `toml:"camera"`
	CameraFPS      *value[float64]       `toml:"camera_fps"`
	CameraSize     *value[string]        `toml:"camera_size"`
	MaxFPS         *value[float64]       `toml:"max_fps"`
	Threads        *value[int]           `toml:"threads"`
	GPIO           *value[string]        `toml:"gpio"`
	HeartbeatPin   *value[string]        `toml:"heartbeat_pin"`
	FaultPin       *value[string]        `toml:"fault_pin"`
	StatusInterval *value[time.Duration] `toml:"status_interval"`
	RetryInterval  *value[time.Duration] `toml:"retry_interval"`
	StallTimeout   *value[time.Duration] `toml:"stall_timeout"`
	Serial         struct {
		Port   *value[string] `toml:"port"`
		Baud   *value[int]    `toml:"baud"`
		Format *value[string] `toml:"format"`
	} `toml:"serial"`
	HTTP *fileHTTP `toml:"http"` // nil when the file has no [http]
	MQTT *fileMQTT `toml:"mqtt"` // nil when the file has no [mqtt]
	// Each [[rule]] is decoded on its own (into a fileRule), so that a
	// decoding error names the rule it is in.
	RuleTables []toml.Primitive `toml:"rule"`
	Rules      []fileRule       `toml:"-"`
}

// fileRule mirrors one [[rule]] table.
type fileRule struct {
	Labels    *value[[]string] `toml:"labels"`
	MinScore  *value[float64]  `toml:"min_score"`
	Frames    *value[int]      `toml:"frames"`
	Release   *value[int]      `toml:"release"`
	Pin       *value[string]   `toml:"pin"`
	Mode      *value[string]   `toml:"mode"`
	ActiveLow *value[bool]     `toml:"active_low"`
	PulseMs   *value[int]      `toml:"pulse_ms"`
	BlinkMs   *value[int]      `toml:"blink_ms"`
}

// value is one value of the file, of type T. Its decoding says what was
// given and what is wanted when the file has another type there
// ("got 2.5, want a whole number").
type value[T int | float64 | string | bool | []string | time.Duration] struct{ v T }

// UnmarshalTOML implements toml.Unmarshaler.
func (x *value[T]) UnmarshalTOML(data any) error {
	var ok bool
	var want string
	switch p := any(&x.v).(type) {
	case *int:
		var n int64
		n, ok = data.(int64)
		ok = ok && int64(int(n)) == n
		*p, want = int(n), "a whole number"
	case *float64:
		switch d := data.(type) {
		case float64:
			*p, ok = d, true
		case int64:
			*p, ok = float64(d), true
		}
		want = "a number"
	case *string:
		*p, ok = data.(string)
		want = "a string in quotes"
	case *bool:
		*p, ok = data.(bool)
		want = "true or false"
	case *[]string:
		*p, ok = stringList(data)
		want = `a list of strings, e.g. ["tabby", "tiger cat"]`
	case *time.Duration:
		*p, ok = durationOf(data)
		want = `a duration such as "10s" or "1m30s"`
	}
	if !ok {
		return fmt.Errorf("got %s, want %s", tomlText(data), want)
	}
	return nil
}

// stringList reads a TOML array of strings.
func stringList(data any) ([]string, bool) {
	items, ok := data.([]any)
	if !ok {
		return nil, false
	}
	list := make([]string, len(items))
	for i, item := range items {
		if list[i], ok = item.(string); !ok {
			return nil, false
		}
	}
	return list, true
}

// durationOf reads a duration: a string such as "10s" or "1m30s", or an
// integer number of nanoseconds.
func durationOf(data any) (time.Duration, bool) {
	switch d := data.(type) {
	case int64:
		return time.Duration(d), true
	case string:
		parsed, err := time.ParseDuration(d)
		return parsed, err == nil
	}
	return 0, false
}

// tomlText writes a decoded value as it would appear in the file.
func tomlText(data any) string {
	switch d := data.(type) {
	case string:
		return strconv.Quote(d)
	case float64:
		s := strconv.FormatFloat(d, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnI") {
			s += ".0" // 1e3 is a float in TOML: say so
		}
		return s
	case []any:
		parts := make([]string, len(d))
		for i, item := range d {
			parts[i] = tomlText(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "a table"
	case time.Time:
		return d.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(data)
}

// orDefault is the file's value, or def when the key is absent.
func orDefault[T int | float64 | string | bool | []string | time.Duration](p *value[T], def T) T {
	if p == nil {
		return def
	}
	return p.v
}

// decodeFile decodes data into a fileConfig and returns it with the
// Config that its checks fill in; errors name the file, line and field.
func decodeFile(name string, data []byte) (*fileConfig, *Config, error) {
	c := &Config{file: name}
	var f fileConfig
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil && len(md.Keys()) == 0 { // a syntax error: nothing was decoded
		var pe toml.ParseError
		if errors.As(err, &pe) && pe.Position.Line > 0 {
			return nil, nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, nil, fmt.Errorf("%s: %v", name, err)
	}
	c.lines = keyLines(data)
	if err != nil {
		return nil, nil, c.decodeError(err, 0)
	}
	f.Rules = make([]fileRule, len(f.RuleTables))
	for i, p := range f.RuleTables {
		if err := md.PrimitiveDecode(p, &f.Rules[i]); err != nil {
			return nil, nil, c.decodeError(err, i+1)
		}
	}
	if field := firstUndecoded(&md); field != "" {
		return nil, nil, c.errorf(field, "unknown key (see docs/firmware.md for the keys)")
	}
	return &f, c, nil
}

// firstUndecoded returns the field path of the first key in the file that
// no field of fileConfig or fileRule read, or "".
func firstUndecoded(md *toml.MetaData) string {
	undecoded := map[string]bool{}
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	if len(undecoded) == 0 {
		return ""
	}
	// Keys lists every key and table in file order, a [[rule]] header
	// once per table, which numbers the rules.
	rule := 0
	for _, k := range md.Keys() {
		if len(k) == 1 && k[0] == "rule" {
			rule++
		}
		if undecoded[k.String()] {
			return fieldPath(k.String(), rule)
		}
	}
	return ""
}

// typeError matches the decoder's type mismatches, "toml: line N (last key
// "k"): message" (the line is of the last table of that name).
var typeError = regexp.MustCompile(`^toml: line \d+ \(last key "(.*?)"\): (.*)$`)

// decodeError turns an error of decoding (not parsing) the file into one
// naming the file, line and field; rule is the 1-based [[rule]] being
// decoded, or 0.
func (c *Config) decodeError(err error, rule int) error {
	var key, msg string
	var pe toml.ParseError
	if errors.As(err, &pe) {
		key, msg = pe.LastKey, pe.Message
	} else if m := typeError.FindStringSubmatch(err.Error()); m != nil {
		key, msg = m[1], m[2]
	}
	if key == "" {
		return fmt.Errorf("%s: %v", c.file, err)
	}
	return c.errorf(fieldPath(key, rule), "%s", msg)
}

// fieldPath turns a TOML key ("serial.baud", "rule.pin") into the field
// path of error messages, numbering a key of a [[rule]] table with rule
// ("rule[2].pin").
func fieldPath(key string, rule int) string {
	if k, ok := strings.CutPrefix(key, "rule."); ok && rule > 0 {
		return ruleField(rule, k)
	}
	return key
}

// ruleField is the field path of key in the n-th (1-based) rule.
func ruleField(n int, key string) string { return fmt.Sprintf("rule[%d].%s", n, key) }

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
// in the file (a missing key is reported at its table; a key of a table
// written inline, rule = [{...}], at the array's line).
func (c *Config) line(field string) int {
	for f := field; f != ""; {
		if l, ok := c.lines[f]; ok {
			return l
		}
		if l, ok := c.lines[tableIndex.ReplaceAllString(f, "")]; ok {
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

// tableIndex is the [N] of a field path's array-of-tables entry.
var tableIndex = regexp.MustCompile(`\[\d+\]`)

// keyLines maps every key and table of a TOML file (already known to
// parse) to its line, for error messages: "serial.port", "rule[2]"
// (1-based, in file order), "rule[2].pin". The TOML decoder keeps the
// positions of keys to itself (toml v1.6.0's MetaData has no accessor for
// them), hence this scan. Only the first line of a key counts; the lines
// inside multi-line strings and arrays are skipped because they never
// start with "key =".
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
