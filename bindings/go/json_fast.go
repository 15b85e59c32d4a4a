package filelock

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Update decodes the whole document into a map[string]any and encodes it back on every
// call. encoding/json does both through reflection; these do the common shapes (objects,
// arrays, strings, numbers, booleans, null) directly, and hand anything else to
// encoding/json, so the result, and every error, is exactly encoding/json's.

// maxFastDepth bounds the recursion; deeper documents (or a cyclic map) take the
// encoding/json path, which reports what it reports for them.
const maxFastDepth = 500

// fastMarshal is json.Marshal(v) for map[string]any and []any trees; ok false means
// v (or something in it) is left to json.Marshal.
func fastMarshal(v any) (out []byte, ok bool) {
	switch v.(type) {
	case map[string]any, []any:
	default:
		return nil, false
	}
	return appendValue(make([]byte, 0, 1024), v, 0)
}

func appendValue(b []byte, v any, depth int) ([]byte, bool) {
	if depth > maxFastDepth {
		return b, false
	}
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return strconv.AppendBool(b, t), true
	case string:
		return appendString(b, t)
	case float64:
		return appendFloat(b, t)
	case map[string]any:
		if t == nil {
			return append(b, "null"...), true
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendString(b, k); !ok {
				return b, false
			}
			b = append(b, ':')
			if b, ok = appendValue(b, t[k], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case []any:
		if t == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendValue(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

// appendString writes s quoted if no byte of it needs an escape (encoding/json escapes
// control characters, quote, backslash, <, > and &, and checks UTF-8).
func appendString(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendFloat is encoding/json's float64 encoding (ES6 number format).
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// fastDecodeObject is decodeObject for a JSON object of plain strings (no escapes,
// valid UTF-8), numbers, booleans, null, arrays and objects, with nothing after it;
// ok false leaves raw to encoding/json.
func fastDecodeObject(raw []byte) (doc map[string]any, ok bool) {
	p := fastParser{s: raw}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return nil, false
	}
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	if p.i != len(p.s) {
		return nil, false
	}
	return v.(map[string]any), true
}

type fastParser struct {
	s []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) literal(word string, v any) (any, bool) {
	if len(p.s)-p.i < len(word) || string(p.s[p.i:p.i+len(word)]) != word {
		return nil, false
	}
	p.i += len(word)
	return v, true
}

func (p *fastParser) value(depth int) (any, bool) {
	if depth > maxFastDepth {
		return nil, false
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, false
}

func (p *fastParser) object(depth int) (any, bool) {
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		k, ok := p.str()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k.(string)] = v
		if closed, ok := p.separator('}'); !ok || closed {
			return m, ok
		}
	}
}

func (p *fastParser) array(depth int) (any, bool) {
	p.i++ // [
	a := []any{}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if closed, ok := p.separator(']'); !ok || closed {
			return a, ok
		}
	}
}

// separator reads what follows a member or element: a ',' (closed false) or the
// container's `end` (closed true); anything else is not ok.
func (p *fastParser) separator(end byte) (closed, ok bool) {
	p.space()
	if p.i >= len(p.s) {
		return false, false
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return false, true
	case end:
		p.i++
		return true, true
	}
	return false, false
}

// str reads a string without escapes or control characters, in valid UTF-8.
func (p *fastParser) str() (any, bool) {
	start := p.i + 1
	ascii := true
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			body := p.s[start:j]
			if !ascii && !utf8.Valid(body) {
				return nil, false
			}
			p.i = j + 1
			return string(body), true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// number reads a JSON number: float64 where that holds it exactly, else json.Number
// (as decodeObject gives it).
func (p *fastParser) number() (any, bool) {
	s, j := p.s, p.i
	if s[j] == '-' {
		j++
	}
	digits := func() bool {
		k := j
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j > k
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case !digits():
		return nil, false
	}
	if j < len(s) && s[j] == '.' {
		j++
		if !digits() {
			return nil, false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if !digits() {
			return nil, false
		}
	}
	if text := s[p.i:j]; len(text) <= 16 && isPlainInteger(text) {
		// Up to 15 digits: a float64 holds it exactly (what exactFloat would find).
		var v int64
		for _, c := range text {
			if c != '-' {
				v = v*10 + int64(c-'0')
			}
		}
		p.i = j
		if text[0] == '-' {
			return -float64(v), true
		}
		return float64(v), true
	}
	n := json.Number(s[p.i:j])
	p.i = j
	if f, ok := exactFloat(n); ok {
		return f, true
	}
	return n, true
}

// isPlainInteger: an optional minus and at most 15 digits, nothing else.
func isPlainInteger(text []byte) bool {
	digits := text
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
