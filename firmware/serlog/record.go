package serlog

import (
	"strconv"
	"time"
)

// TimeFormat is the records' timestamp: UTC, milliseconds, RFC 3339.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Record is one log line under construction. Values are appended in call
// order after t= and event=.
type Record struct{ b []byte }

// New starts a record of event at time t.
func New(t time.Time, event string) *Record {
	r := &Record{b: make([]byte, 0, 128)}
	r.b = append(r.b, "t="...)
	r.b = t.UTC().AppendFormat(r.b, TimeFormat)
	return r.Word("event", event)
}

// Word appends key=value for a value without spaces or quotes (a pin name,
// an identifier); anything else is quoted, so a line always splits on
// spaces.
func (r *Record) Word(key, value string) *Record {
	if !isWord(value) {
		return r.Str(key, value)
	}
	r.b = append(r.b, ' ')
	r.b = append(r.b, key...)
	r.b = append(r.b, '=')
	r.b = append(r.b, value...)
	return r
}

// Str appends key="value", Go-quoted.
func (r *Record) Str(key, value string) *Record {
	r.b = append(r.b, ' ')
	r.b = append(r.b, key...)
	r.b = append(r.b, '=')
	r.b = strconv.AppendQuote(r.b, value)
	return r
}

// Int appends key=value.
func (r *Record) Int(key string, value int64) *Record {
	r.b = append(r.b, ' ')
	r.b = append(r.b, key...)
	r.b = append(r.b, '=')
	r.b = strconv.AppendInt(r.b, value, 10)
	return r
}

// Float appends key=value with prec digits after the point.
func (r *Record) Float(key string, value float64, prec int) *Record {
	r.b = append(r.b, ' ')
	r.b = append(r.b, key...)
	r.b = append(r.b, '=')
	r.b = strconv.AppendFloat(r.b, value, 'f', prec, 64)
	return r
}

// String returns the line without its newline.
func (r *Record) String() string { return string(r.b) }

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\' {
			return false
		}
	}
	return true
}

// Parse splits a record line into its keys and values, unquoting quoted
// values; it is the reader's side of the format (tests, log tools).
func Parse(line string) (map[string]string, error) {
	fields := map[string]string{}
	for i := 0; i < len(line); {
		if line[i] == ' ' {
			i++
			continue
		}
		eq := i
		for eq < len(line) && line[eq] != '=' && line[eq] != ' ' {
			eq++
		}
		if eq == len(line) || line[eq] != '=' || eq == i {
			return nil, &SyntaxError{Line: line, Offset: i, Want: "key=value"}
		}
		key := line[i:eq]
		j := eq + 1
		if j < len(line) && line[j] == '"' {
			q, err := strconv.QuotedPrefix(line[j:])
			if err != nil {
				return nil, &SyntaxError{Line: line, Offset: j, Want: "a closing quote"}
			}
			v, _ := strconv.Unquote(q)
			fields[key] = v
			i = j + len(q)
			continue
		}
		end := j
		for end < len(line) && line[end] != ' ' {
			end++
		}
		fields[key] = line[j:end]
		i = end
	}
	return fields, nil
}

// SyntaxError is a malformed record line.
type SyntaxError struct {
	Line   string
	Offset int
	Want   string
}

func (e *SyntaxError) Error() string {
	return "serlog: at byte " + strconv.Itoa(e.Offset) + " of " + strconv.Quote(e.Line) + ": want " + e.Want
}
