package json5

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestToJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		// JSON itself.
		{`{"a": [1, 2.5, -3e4, true, false, null, "s"]}`, `{"a":[1,2.5,-3e4,true,false,null,"s"]}`},
		{` "x" `, `"x"`},
		{`[]`, `[]`},
		{`{}`, `{}`},
		// Comments.
		{"// lead\n{a: 1, /* inner */ b: 2} // tail", `{"a":1,"b":2}`},
		{"/* only */ 7", `7`},
		// Trailing commas.
		{`[1, 2, ]`, `[1,2]`},
		{`{a: 1,}`, `{"a":1}`},
		// Unquoted keys: identifiers, $ and _, unicode, \u escapes.
		{`{key_expr: "demo/**", $x: 1, _y: 2, ünïcode: 3, \u0061b: 4}`, `{"key_expr":"demo/**","$x":1,"_y":2,"ünïcode":3,"ab":4}`},
		// Single quotes and escapes.
		{`'it\'s "quoted"'`, `"it's \"quoted\""`},
		{`"tab\there\nnew \x41 \u00e9 \v \0 \/ \q"`, `"tab\there\nnew A é \u000b \u0000 / q"`},
		{"'line \\\ncontinued'", `"line continued"`},
		{"'crlf \\\r\ncontinued'", `"crlf continued"`},
		{`"\ud83d\ude00"`, `"😀"`},
		{`"<&>"`, `"<&>"`},
		// Numbers.
		{`0x1F`, `31`},
		{`-0XfF`, `-255`},
		{`0x10000000000000000`, `18446744073709551616`},
		{`+1`, `1`},
		{`.5`, `0.5`},
		{`5.`, `5`},
		{`-.5e3`, `-0.5e3`},
		{`1E+2`, `1E+2`},
		// More white space.
		{"\ufeff\u00a0\v\f{\u2028a\u2029:\u30001}", `{"a":1}`},
		// Zenoh-style admin body.
		{`{
			// where the storage lives
			key_expr: 'demo/example/**',
			volume: {id: 'mem', },
		}`, `{"key_expr":"demo/example/**","volume":{"id":"mem"}}`},
	}
	for _, tt := range tests {
		got, err := ToJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("ToJSON(%q): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("ToJSON(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("ToJSON(%q) = %s: not JSON", tt.in, got)
		}
	}
}

func TestToJSONErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{``, "no value"},
		{`   // nothing`, "no value"},
		{`{a: 1} x`, "text after the value"},
		{`[1 2]`, "expected ','"},
		{`{a 1}`, "expected ':'"},
		{`{a: }`, "unexpected '}'"},
		{`{1: 2}`, "where a key was expected"},
		{`[1,,2]`, "unexpected ','"},
		{`{"a": 1`, "unterminated object"},
		{`[1`, "unterminated array"},
		{`"abc`, "unterminated string"},
		{"'a\nb'", "line break"},
		{`/* open`, "unterminated /* comment"},
		{`Infinity`, "Infinity and NaN"},
		{`-Infinity`, "Infinity and NaN"},
		{`NaN`, "Infinity and NaN"},
		{`01`, "may not start with 0"},
		{`1e`, "exponent needs digits"},
		{`0x`, "hex number needs digits"},
		{`.`, "needs digits"},
		{`12abc`, "after a number"},
		{`"\1"`, "not an escape"},
		{`"\01"`, "followed by a digit"},
		{`"\x4"`, "hex digits"},
		{`"\u12"`, "hex digits"},
		{`{\x41: 1}`, "only \\u escapes"},
		{`tru`, "unexpected"},
		{`truex`, "unexpected"},
		{"\"\xff\"", "not valid UTF-8"},
		{strings.Repeat("[", MaxDepth+2), "nested deeper"},
	}
	for _, tt := range tests {
		got, err := ToJSON([]byte(tt.in))
		var se *SyntaxError
		if err == nil || !errors.Is(err, ErrSyntax) || !errors.As(err, &se) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ToJSON(%q) = %s, %v; want an error saying %q", tt.in, got, err, tt.msg)
		}
	}
}

func TestErrorPosition(t *testing.T) {
	_, err := ToJSON([]byte("{\n  a: 1,\n  b: ?\n}"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 || se.Column != 6 {
		t.Fatalf("error %v, want line 3 column 6", err)
	}
}

// FuzzToJSON: no input panics; what comes out is JSON, a fixed point of
// ToJSON; and JSON that comes in keeps its value.
func FuzzToJSON(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, 2.5, -3e4, true, false, null, "s"]}`,
		"// c\n{a: 1, /* b */ 'b': [0x1F, .5, 5., +1,], }",
		`'it\'s \x41 \u00e9 \ud83d\ude00'`,
		"'line \\\ncontinued'",
		"\ufeff\u00a0{\u2028a: 1}",
		`{key_expr: 'demo/**', volume: {id: 'mem',},}`,
		`[[[[]]]]`, `Infinity`, `"\0"`, `-0x0`, `1e+5`, `{$_: 1}`, `"\u0000"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := ToJSON(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			// Valid JSON is valid JSON5, except past MaxDepth; ToJSON
			// also refuses invalid UTF-8, which encoding/json replaces.
			if json.Valid(in) && utf8.Valid(in) {
				var v any
				if json.Unmarshal(in, &v) == nil && !strings.Contains(err.Error(), "nested deeper") {
					t.Fatalf("valid JSON %q refused: %v", in, err)
				}
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("ToJSON(%q) = %q: not JSON", in, out)
		}
		again, err := ToJSON(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("ToJSON(%q) = %q, but ToJSON of that = %q, %v", in, out, again, err)
		}
		if json.Valid(in) {
			var a, b any
			da := json.NewDecoder(bytes.NewReader(in))
			da.UseNumber()
			db := json.NewDecoder(bytes.NewReader(out))
			db.UseNumber()
			if da.Decode(&a) == nil && db.Decode(&b) == nil && !reflect.DeepEqual(a, b) {
				t.Fatalf("JSON %q became %q: %v != %v", in, out, a, b)
			}
		}
	})
}
