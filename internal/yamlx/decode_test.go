package yamlx_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/internal/yamlx"
)

// root parses doc (named t.yaml) and fails the test on a syntax error.
func root(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	n, err := yamlx.ParseYAML("t.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("ParseYAML(%q): %v", doc, err)
	}
	return n
}

// wantErr checks that err is an *Error with exactly the message want and
// the kind kind.
func wantErr(t *testing.T, err error, want string, kind error) {
	t.Helper()
	var ce *yamlx.Error
	if !errors.As(err, &ce) || err.Error() != want || !errors.Is(err, kind) {
		t.Errorf("got %v (%T)\nwant %s (%v)", err, err, want, kind)
	}
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

func TestParseYAMLReturnsTheRootOfOneDocument(t *testing.T) {
	n, err := yamlx.ParseYAML("t.yaml", []byte("a: 1\n"))
	if err != nil || n == nil || n.Kind != yaml.MappingNode || n.Line != 1 {
		t.Fatalf("got %v, %v; want the root mapping", n, err)
	}
	for _, empty := range []string{"", "# only a comment\n"} {
		if n, err := yamlx.ParseYAML("t.yaml", []byte(empty)); n != nil || err != nil {
			t.Errorf("%q: got %v, %v; want nil, nil", empty, n, err)
		}
	}
}

func TestParseYAMLRefusesBadYAMLWithItsLine(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"a: [1, 2\n", `t.yaml:2: invalid YAML: did not find expected ',' or ']'`},
		{"a: 1\n---\nb: 2\n", `t.yaml:2:1: a second YAML document (after ---); a configuration file holds one`},
		{"a: *nope\n", `t.yaml:1:4: invalid YAML: unknown anchor 'nope' referenced`},
	} {
		_, err := yamlx.ParseYAML("t.yaml", []byte(c.doc))
		wantErr(t, err, c.want, yamlx.ErrSyntax)
	}
}

func TestErrorfLocatesTheErrorAtTheNode(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml"}
	n := root(t, "a: 1\nb: x\n").Content[3]
	cause := errors.New("the cause")
	err := d.Errorf(n, "b", yamlx.ErrValue, cause, "want %s, got %s", "a number", yamlx.Quote(n.Value))
	wantErr(t, err, `t.yaml:2:4: b: want a number, got "x"`, yamlx.ErrValue)
	if !errors.Is(err, cause) {
		t.Error("the error does not match its cause")
	}
	if err := d.Errorf(nil, "", yamlx.ErrMissing, nil, "nothing"); err.Line != 0 || err.Error() != "t.yaml: nothing" {
		t.Errorf("without a node: got %q at line %d", err, err.Line)
	}
}

func TestResolveFollowsAliases(t *testing.T) {
	d := &yamlx.Decoder{}
	r := root(t, "a: &x 42\nb: *x\n")
	n, err := d.Resolve("b", r.Content[3])
	if err != nil || n.Kind != yaml.ScalarNode || n.Value != "42" {
		t.Errorf("got %v, %v; want the scalar 42", n, err)
	}
}

// fields is a small table: name (required), size (alias bytes), on.
func fields(name *string, size *int, on *bool) []yamlx.Field {
	return []yamlx.Field{
		{Key: "name", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Text(path, n, name, "a name")
		}},
		{Key: "size", Aliases: []string{"bytes"}, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, size, 0, 100, "a size from 0 to 100")
		}},
		{Key: "on", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Bool(path, n, on)
		}},
	}
}

func TestMappingDecodesKnownKeys(t *testing.T) {
	var (
		name string
		size int
		on   bool
	)
	d := &yamlx.Decoder{File: "t.yaml"}
	err := d.Mapping("app", root(t, "defaults: &d {size: 7, on: true}\napp: {<<: *d, name: x, bytes: 9}\n").Content[3],
		yamlx.Mapping{What: "an app", Fields: fields(&name, &size, &on)})
	if err != nil || name != "x" || size != 9 || !on {
		t.Errorf("got name %q, size %d, on %v, %v; want x, 9 (the explicit key over the merged one), true", name, size, on, err)
	}
}

func TestMappingErrors(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		named     bool
		want      string
		kind      error
	}{
		{"a near miss is suggested", "app: {name: x, sise: 1}\n", false,
			`t.yaml:1:16: app: unknown key "sise"; did you mean size?`, yamlx.ErrUnknownKey},
		{"otherwise the keys are listed", "app: {name: x, colour: red}\n", false,
			`t.yaml:1:16: app: unknown key "colour" (want one of name, size, on)`, yamlx.ErrUnknownKey},
		{"Named lists the keys and names the mapping", "app: {name: x, szie: 1}\n", true,
			`t.yaml:1:16: app: unknown key "szie" in an app (want one of name, size, on)`, yamlx.ErrUnknownKey},
		{"a missing key", "app: {size: 1}\n", false,
			`t.yaml:1:6: app: missing key name`, yamlx.ErrMissing},
		{"a missing key, Named", "app: {size: 1}\n", true,
			`t.yaml:1:6: app: missing key name in an app`, yamlx.ErrMissing},
		{"a key given twice", "app:\n  name: x\n  name: y\n", false,
			`t.yaml:3:3: app: key "name" given twice (first at line 2)`, yamlx.ErrConflict},
		{"two spellings of one key", "app:\n  name: x\n  size: 1\n  bytes: 2\n", false,
			`t.yaml:4:3: app: size and bytes are two spellings of one setting (size at line 3); give only one`, yamlx.ErrConflict},
		{"not a mapping", "app: [1]\n", false,
			`t.yaml:1:6: app: want an app (a mapping), got a list`, yamlx.ErrType},
		{"a key that is not a name", "app: {[1]: 2}\n", false,
			`t.yaml:1:7: app: want a key name, got a list`, yamlx.ErrType},
		{"a value's error carries its path", "app: {name: x, size: 101}\n", false,
			`t.yaml:1:22: app.size: want a size from 0 to 100, got "101"`, yamlx.ErrValue},
	} {
		t.Run(c.name, func(t *testing.T) {
			var (
				name string
				size int
				on   bool
			)
			d := &yamlx.Decoder{File: "t.yaml"}
			err := d.Mapping("app", root(t, c.doc).Content[1], yamlx.Mapping{What: "an app", Fields: fields(&name, &size, &on), Named: c.named})
			wantErr(t, err, c.want, c.kind)
		})
	}
}

func TestMappingWithoutKeysIsEmpty(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"app: ~\n", `t.yaml:1:6: app: missing key name`},
		{"app:\n", `t.yaml:1:5: app: missing key name`},
		{"app: {}\n", `t.yaml:1:6: app: missing key name`},
	} {
		d := &yamlx.Decoder{File: "t.yaml"}
		var name string
		err := d.Mapping("app", root(t, c.doc).Content[1], yamlx.Mapping{What: "an app", Fields: fields(&name, new(int), new(bool))})
		wantErr(t, err, c.want, yamlx.ErrMissing)
	}
}

func TestMappingRestTakesTheOtherKeys(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml"}
	var name string
	got := map[string]string{}
	rest := func(path, key string, k, v *yaml.Node) error {
		got[key] = fmt.Sprintf("%s at %d:%d = %s", path, k.Line, k.Column, v.Value)
		return nil
	}
	m := yamlx.Mapping{What: "an app", Fields: fields(&name, new(int), new(bool)), Rest: rest}
	if err := d.Mapping("app", root(t, "app: {name: x, colour: red, <<: {shape: round}}\n").Content[1], m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"colour": "app.colour at 1:16 = red", "shape": "app.shape at 1:34 = round"}
	if fmt.Sprint(got) != fmt.Sprint(want) || name != "x" {
		t.Errorf("got %v, name %q; want %v, name x", got, name, want)
	}
	err := d.Mapping("app", root(t, "app:\n  name: x\n  colour: red\n  colour: blue\n").Content[1], m)
	wantErr(t, err, `t.yaml:4:3: app: key "colour" given twice (first at line 3)`, yamlx.ErrConflict)
}

func TestMappingNoMergeRefusesMergeKeys(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml"}
	var name string
	err := d.Mapping("app", root(t, "app: {name: x, <<: {on: true}}\n").Content[1],
		yamlx.Mapping{What: "an app", Fields: fields(&name, new(int), new(bool)), NoMerge: true})
	wantErr(t, err, `t.yaml:1:16: app: merge keys (<<) are not supported in an app`, yamlx.ErrUnknownKey)
	if name != "x" {
		t.Errorf("name = %q: the keys before the merge key were not decoded", name)
	}
}

func TestSeqGivesEachItemItsPath(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml"}
	var paths []string
	err := d.Seq("xs", root(t, "xs: [a, b]\n").Content[1], "letters", func(path string, item *yaml.Node) error {
		paths = append(paths, path+"="+item.Value)
		return nil
	})
	if err != nil || strings.Join(paths, " ") != "xs[0]=a xs[1]=b" {
		t.Errorf("got %v, %v", paths, err)
	}
	if err := d.Seq("xs", root(t, "xs: ~\n").Content[1], "letters", nil); err != nil {
		t.Errorf("null: %v; want no items", err)
	}
	err = d.Seq("xs", root(t, "xs: {a: 1}\n").Content[1], "letters", nil)
	wantErr(t, err, `t.yaml:1:5: xs: want a list of letters, got a mapping`, yamlx.ErrType)
}

func TestScalarExpandsEnvironmentVariables(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml", LookupEnv: env(map[string]string{"N": "42", "W": "world"})}
	for _, c := range []struct{ doc, text, tag string }{
		{"v: ${N}\n", "42", "!!int"},     // a plain value is typed after expansion
		{"v: \"${N}\"\n", "42", "!!str"}, // a quoted one stays text
		{"v: hello ${W}\n", "hello world", "!!str"},
		{"v: $${N}\n", "${N}", "!!str"}, // $${ is a literal ${
		{"v: a${b\n", "a${b", "!!str"},  // not a reference: left alone
		{"v: ~\n", "~", "!!null"},
	} {
		text, tag, at, err := d.Scalar("v", root(t, c.doc).Content[1], "a value")
		if err != nil || text != c.text || tag != c.tag || at == nil {
			t.Errorf("%q: got %q %s %v; want %q %s", c.doc, text, tag, err, c.text, c.tag)
		}
	}
	_, _, _, err := d.Scalar("v", root(t, "v: ${UNSET}\n").Content[1], "a value")
	wantErr(t, err, `t.yaml:1:4: v: environment variable UNSET is not set`, yamlx.ErrEnv)
	_, _, _, err = d.Scalar("v", root(t, "v: [1]\n").Content[1], "a value")
	wantErr(t, err, `t.yaml:1:4: v: want a value, got a list`, yamlx.ErrType)
}

func TestExpandReadsTheProcessEnvironmentByDefault(t *testing.T) {
	t.Setenv("ZMESH_DECODE_TEST", "yes")
	var d yamlx.Decoder
	got, err := d.Expand("v", nil, "${ZMESH_DECODE_TEST}!")
	if err != nil || got != "yes!" {
		t.Errorf("got %q, %v; want yes!", got, err)
	}
}

func TestValueMethods(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml"}
	v := func(doc string) *yaml.Node { return root(t, "v: "+doc+"\n").Content[1] }

	s := "unchanged"
	if err := d.Text("v", v("~"), &s, "text"); err != nil || s != "unchanged" {
		t.Errorf("Text(null): %q, %v; want dst unchanged", s, err)
	}
	if err := d.Text("v", v("12"), &s, "text"); err != nil || s != "12" {
		t.Errorf("Text(12): %q, %v", s, err)
	}

	var i64 int64
	if err := d.Int64("v", v("0x10"), &i64, 0, 100, "a number"); err != nil || i64 != 16 {
		t.Errorf("Int64(0x10): %d, %v", i64, err)
	}
	wantErr(t, d.Int64("v", v("ten"), &i64, 0, 100, "a number"), `t.yaml:1:4: v: want a number, got "ten"`, yamlx.ErrType)
	wantErr(t, d.Int64("v", v("-1"), &i64, 0, 100, "a number"), `t.yaml:1:4: v: want a number, got "-1"`, yamlx.ErrValue)
	i := 5
	if err := d.Int("v", v("~"), &i, 0, 100, "a number"); err != nil || i != 5 {
		t.Errorf("Int(null): %d, %v; want dst unchanged", i, err)
	}

	var b bool
	if err := d.Bool("v", v("True"), &b); err != nil || !b {
		t.Errorf("Bool(True): %v, %v", b, err)
	}
	wantErr(t, d.Bool("v", v("yes"), &b), `t.yaml:1:4: v: want true or false, got "yes"`, yamlx.ErrType)

	var dur time.Duration
	for _, c := range []struct {
		doc  string
		spec yamlx.DurationSpec
		want time.Duration
	}{
		{"300ms", yamlx.DurationSpec{}, 300 * time.Millisecond},
		{"1s 500ms", yamlx.DurationSpec{}, 1500 * time.Millisecond},
		{"0s", yamlx.DurationSpec{}, 0},
		{"forever", yamlx.DurationSpec{Word: "forever", WordValue: -1}, -1},
	} {
		if err := d.Duration("v", v(c.doc), &dur, c.spec); err != nil || dur != c.want {
			t.Errorf("Duration(%s): %v, %v; want %v", c.doc, dur, err, c.want)
		}
	}
	for _, c := range []struct {
		doc  string
		spec yamlx.DurationSpec
		want string
	}{
		{"5", yamlx.DurationSpec{}, `t.yaml:1:4: v: want a duration such as 300ms or 1s, got "5" (a number needs a unit: write 5s, not 5; units are ns, us, ms, s, m and h)`},
		{"-1s", yamlx.DurationSpec{}, `t.yaml:1:4: v: want a non-negative duration, got "-1s"`},
		{"0s", yamlx.DurationSpec{Positive: true, ZeroHint: " (leave it out)"}, `t.yaml:1:4: v: want a positive duration, got "0s" (leave it out)`},
		{"2h", yamlx.DurationSpec{Max: time.Hour}, `t.yaml:1:4: v: want at most 1h0m0s, got "2h"`},
		{"never", yamlx.DurationSpec{Word: "forever"}, `t.yaml:1:4: v: want a duration such as 300ms or 1s, or forever, got "never"`},
	} {
		wantErr(t, d.Duration("v", v(c.doc), &dur, c.spec), c.want, yamlx.ErrValue)
	}
}

func TestQuoteJoinIndex(t *testing.T) {
	if got := yamlx.Quote(strings.Repeat("x", 70)); got != `"`+strings.Repeat("x", 64)+`"...` {
		t.Errorf("Quote of a long value: %s", got)
	}
	if got := yamlx.Quote("a\"b"); got != `"a\"b"` {
		t.Errorf("Quote: %s", got)
	}
	for _, c := range []struct{ got, want string }{
		{yamlx.Join("", "server"), "server"},
		{yamlx.Join("server", "bind"), "server.bind"},
		{yamlx.Index(yamlx.Join("server", "bind"), 2), "server.bind[2]"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	if !yamlx.IsNull(&yaml.Node{}) || !yamlx.IsNull(root(t, "v: ~\n").Content[1]) || yamlx.IsNull(root(t, "v: 0\n").Content[1]) {
		t.Error("IsNull")
	}
}

// A file is decoded by one Decoder, section by section, with one set of
// rules (unknown keys refused, ${VAR} expanded, durations as 300ms) and
// errors that name the file, line, column and setting.
func ExampleDecoder() {
	const file = `server: {bind: "tcp://127.0.0.1:${PORT}"}
app:
  name: ingest
  workers: 4
  flush: 2s
  retries: lots
`
	var (
		bind string
		app  struct {
			Name             string
			Workers, Retries int
			Flush            time.Duration
		}
	)
	appFields := []yamlx.Field{
		{Key: "name", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Text(path, n, &app.Name, "a name")
		}},
		{Key: "workers", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &app.Workers, 1, 64, "a number of workers from 1 to 64")
		}},
		{Key: "flush", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Duration(path, n, &app.Flush, yamlx.DurationSpec{Positive: true})
		}},
		{Key: "retries", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &app.Retries, 0, 10, "a number of retries from 0 to 10")
		}},
	}

	root, err := yamlx.ParseYAML("app.yaml", []byte(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := &yamlx.Decoder{File: "app.yaml", LookupEnv: func(name string) (string, bool) { return "5555", name == "PORT" }}
	err = d.Mapping("", root, yamlx.Mapping{What: "an application configuration", Fields: []yamlx.Field{
		{Key: "server", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Fields(path, n, "the server section", []yamlx.Field{{Key: "bind", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
				return d.Text(path, n, &bind, "an endpoint")
			}}})
		}},
		{Key: "app", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Mapping(path, n, yamlx.Mapping{What: "the app section", Fields: appFields})
		}},
	}})
	fmt.Println(bind, app.Name, app.Workers, app.Flush)
	fmt.Println(err)
	// Output:
	// tcp://127.0.0.1:5555 ingest 4 2s
	// app.yaml:6:12: app.retries: want a number of retries from 0 to 10, got "lots"
}
