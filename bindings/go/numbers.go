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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	exactNumbers(doc)
	return doc, nil
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
	want, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, false
	}
	got, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	return f, got.Cmp(want) == 0
}
