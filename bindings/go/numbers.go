package filelock

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strconv"
)

// decodeObject decodes a JSON object for Update. Numbers become float64 where a float64
// holds them exactly and stay json.Number otherwise (2^53+1, 30 digits, 1e400): the
// library keeps every number's text, so one fn does not touch must be written back as
// it was, not rounded.
func decodeObject(raw []byte) (map[string]any, error) {
	if doc, ok := fastDecodeObject(raw); ok {
		return doc, nil
	}
	return slowDecodeObject(raw)
}

// slowDecodeObject is decodeObject through encoding/json: what the fast path must match,
// and where it hands over what it does not take.
func slowDecodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	exactNumbers(doc)
	return doc, nil
}

// decodeJSON is json.Unmarshal, except into a map[string]any, []any or any, where a
// number a float64 cannot hold exactly arrives as json.Number (1e400 would fail,
// 12345678901234567890123 would be rounded) and every other number as float64.
func decodeJSON(raw []byte, v any) error {
	switch p := v.(type) {
	case *map[string]any:
		return decodeExact(raw, p)
	case *[]any:
		return decodeExact(raw, p)
	case *any:
		return decodeExact(raw, p)
	}
	return json.Unmarshal(raw, v)
}

func decodeExact[T any](raw []byte, p *T) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(p); err != nil {
		return err
	}
	if v, ok := exactNumbers(*p).(T); ok {
		*p = v
	}
	return nil
}

// exactNumbers replaces, in place, each json.Number that a float64 holds exactly.
func exactNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = exactNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = exactNumbers(e)
		}
	case json.Number:
		if f, ok := exactFloat(t); ok {
			return f
		}
	}
	return v
}

// exactFloat is n as a float64 if encoding that float64 gives n's value back.
func exactFloat(n json.Number) (float64, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return 0, false // out of float64's range
	}
	// The common case without big numbers: the float64's shortest text is n's text.
	var buf [32]byte
	if string(strconv.AppendFloat(buf[:0], f, 'g', -1, 64)) == string(n) {
		return f, true
	}
	want, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, false
	}
	got, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return f, got.Cmp(want) == 0
}
