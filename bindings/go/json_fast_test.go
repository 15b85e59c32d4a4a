package filelock

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// The fast paths give exactly what encoding/json gives, or step aside.
func TestFastMarshalMatchesEncodingJSON(t *testing.T) {
	docs := []any{
		doc1K(),
		map[string]any{},
		[]any{},
		map[string]any{"b": 1.0, "a": []any{nil, true, false, "x"}, "c": map[string]any(nil), "d": []any(nil)},
		map[string]any{"tiny": 1e-7, "huge": 1e21, "neg": -0.000001, "big": 123456789012345678.0, "z": 0.0, "nz": math.Copysign(0, -1)},
		map[string]any{"html": "<a href=\"x\">&</a>", "ctl": "a\nb\tc\x01", "utf8": "héllo ☃", "bad": "\xff", "\u2028": "line sep"},
		map[string]any{"n": json.Number("12345678901234567890123"), "i": 3, "raw": json.RawMessage(`{"x": 1}`)},
		map[string]any{"deep": []any{[]any{map[string]any{"k": []any{1.5, "s"}}}}},
	}
	for _, d := range docs {
		want, werr := json.Marshal(d)
		got, gerr := marshalJSON(d)
		if !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) {
			t.Errorf("marshalJSON(%#v) = %s, %v; encoding/json: %s, %v", d, got, gerr, want, werr)
		}
	}
	// What encoding/json refuses, marshalJSON refuses with the same error.
	for _, d := range []any{map[string]any{"x": math.NaN()}, []any{math.Inf(1)}, map[string]any{"f": func() {}}} {
		_, werr := json.Marshal(d)
		_, gerr := marshalJSON(d)
		if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
			t.Errorf("marshalJSON(%#v) error %v, encoding/json's %v", d, gerr, werr)
		}
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	_, werr := json.Marshal(cyclic)
	_, gerr := marshalJSON(cyclic)
	if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
		t.Errorf("cyclic map: error %v, encoding/json's %v", gerr, werr)
	}
}

func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	raw1K, _ := json.Marshal(doc1K())
	inputs := []string{
		string(raw1K),
		`{}`, ` { "a" : [ ] , "b" : { } } `, `null`, `[1]`, `{"a":1} trailing`, `{"a":1}{"b":2}`,
		`{"a":1,"a":2}`, `{"n":-0,"f":42.5,"e":1e400,"big":12345678901234567890123,"x":1E+2,"y":-1.50e-3}`,
		`{"s":"plain","utf8":"héllo ☃"}`, `{"u":"h\u00e9llo"}`, `{"esc":"a\"b"}`, `{"nl":"a\nb"}`, `{"sl":"a\\b"}`,
		"{\"bad\":\"\xff\"}", `{"t":true,"f":false,"z":null,"arr":[null,[],{}]}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":1,}`, `{"a" 1}`, `{"a":[1,]}`,
		`{"a":"unterminated}`, `{`, ``, `{"a":"ctl` + "\x01" + `"}`,
	}
	for _, in := range inputs {
		want, werr := slowDecodeObject([]byte(in))
		got, gerr := decodeObject([]byte(in))
		if !reflect.DeepEqual(got, want) || (werr == nil) != (gerr == nil) ||
			(werr != nil && werr.Error() != gerr.Error()) {
			t.Errorf("decodeObject(%q) = %#v, %v; encoding/json: %#v, %v", in, got, gerr, want, werr)
		}
	}
}
