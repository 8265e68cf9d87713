package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The decoder walks yaml.v3's node tree itself, rather than letting yaml.v3
// fill structs by reflection, for three reasons: every error must name the
// line, column and setting and say what was expected (yaml.v3's strict mode
// gives a line at best, and several errors at once); one setting may have
// two spellings (send_hwm and send_high_water_mark) that must not both be
// given; and ${VAR} references must be expanded in values only, before the
// value's type is decided.
//
// Each config type lists its keys as a table of Fields, each with the
// function that decodes its value into the Go struct. The walk is driven by
// those tables, so it never descends deeper than the configuration's own
// shape, however the YAML is nested.
//
// Package config decodes its socket sections with it, and package
// store/server its volumes and storages beside them, so that one file
// follows one set of rules and one grammar (see the package doc).

// Limits against hostile files: aliases can make a small file describe a
// huge tree (the "billion laughs"), and merge keys can recurse.
const (
	maxVisits     = 1 << 20 // nodes visited in one decode, aliases expanded
	maxMergeDepth = 16      // merge keys (<<) within merged mappings
	maxShown      = 64      // characters of a bad value quoted in an error
)

// Decoder decodes the node tree of one YAML document (see ParseYAML)
// strictly, with this package's rules, and reports each problem as an
// *Error naming the file, line, column and setting. Package config's
// sections are decoded by it, and so are package store/server's volumes
// and storages, so that the whole file follows one set of rules:
//
//   - a mapping is decoded by a table of Fields: an unknown key, a key given
//     twice and a missing required key are errors (Mapping);
//   - ${NAME} in a value is replaced by the environment variable NAME
//     before the value's type is decided (Scalar, Expand);
//   - aliases are followed, and the nodes visited bounded, against files
//     that expand to huge trees (Resolve);
//   - settings are named by paths of dotted keys and list indexes,
//     "server.bind[0]" (Join, Index).
//
// The zero value reads the process environment and names no file. A
// Decoder counts the nodes it visits: use one per document, from one
// goroutine.
type Decoder struct {
	// File is the name errors give (Error.File); may be empty.
	File string
	// LookupEnv, if set, replaces os.LookupEnv for ${VAR} references.
	LookupEnv func(name string) (string, bool)

	visits int // nodes visited so far, aliases expanded
}

// Field is one key of a mapping and how its value is decoded.
type Field struct {
	// Key is the key's canonical spelling.
	Key string
	// Aliases are other accepted spellings (libzmq-rs's, or friendlier
	// ones). Giving two spellings of one Field is an ErrConflict error.
	Aliases []string
	// Required makes the key's absence an ErrMissing error.
	Required bool
	// Decode decodes the key's value n; path is the mapping's path joined
	// with the key as written. A null value is passed on too: the
	// Decoder's value methods read it as "not set".
	Decode func(d *Decoder, path string, n *yaml.Node) error
}

// Mapping says how Decoder.Mapping decodes a mapping.
type Mapping struct {
	// What names the mapping in errors: "want <What> (a mapping), got a
	// list".
	What string
	// Fields are the keys the mapping may have, in the order errors list
	// them.
	Fields []Field
	// Rest, if set, decodes each key that Fields does not list (a
	// backend's free-form options, a mapping of names); path is the
	// mapping's path joined with key, k the key's node and v its value.
	// Without Rest, such a key is an ErrUnknownKey error. A key given
	// twice is an ErrConflict error either way.
	Rest func(path, key string, k, v *yaml.Node) error
	// NoMerge refuses merge keys (<<: *anchor) with an ErrUnknownKey
	// error. Otherwise a merge key merges the mappings it names, and the
	// mapping's own keys override merged ones.
	NoMerge bool
	// Named makes key errors name the mapping and list its keys
	// (`unknown key "x" in a volume (want one of kind)`, `missing key id
	// in a storage's volume`) rather than suggest the closest key
	// (`unknown key "sned_hwm"; did you mean send_hwm?`, `missing key id`).
	Named bool
}

// Fields decodes the mapping n by fields, with the key errors that suggest
// the closest key (Mapping with only What and Fields set).
func (d *Decoder) Fields(path string, n *yaml.Node, what string, fields []Field) error {
	return d.Mapping(path, n, Mapping{What: what, Fields: fields})
}

// Errorf returns an *Error of the given kind (ErrType, ErrValue, ...) about
// the setting at path, located at n: the Decoder's file, n's line and
// column (none if n is nil). cause, if not nil, is a lower layer's error,
// which the *Error matches with errors.Is as well as kind.
func (d *Decoder) Errorf(n *yaml.Node, path string, kind, cause error, format string, args ...any) *Error {
	e := &Error{File: d.File, Path: path, Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// Resolve follows an alias to the node it names (any other node is
// returned as it is), and counts the visit against the Decoder's bound on
// the nodes one document may expand to. Decode a node through Resolve (or
// a method that calls it) before looking at its Kind.
func (d *Decoder) Resolve(path string, n *yaml.Node) (*yaml.Node, error) {
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 8 {
			return nil, d.Errorf(n, path, ErrSyntax, nil, "alias *%s names no anchor", n.Value)
		}
		n = n.Alias
	}
	d.visits++
	if d.visits > maxVisits {
		return nil, d.Errorf(n, path, ErrValue, nil, "aliases expand to more than %d values; refusing the file", maxVisits)
	}
	return n, nil
}

// IsNull reports whether n is a YAML null (~, null, or nothing at all): a
// setting written but not set.
func IsNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe says what a node is, for "got ..." in errors. text is the
// scalar's value after expansion.
func Describe(n *yaml.Node, text string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return Quote(text)
	}
	return "nothing"
}

// Quote quotes a value for an error message, as strconv.Quote does, cut
// short after 64 bytes so that a long value keeps the message readable.
func Quote(s string) string {
	if len(s) > maxShown {
		return strconv.Quote(s[:maxShown]) + "..."
	}
	return strconv.Quote(s)
}

// Join returns the path of key within the mapping at path: "server" and
// "bind" give "server.bind"; an empty path gives key.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index returns the path of item i of the list at path: "server.bind[0]".
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// pair is one key and value of a mapping; merged marks pairs that came in
// through a merge key (<<), which explicit keys override.
type pair struct {
	key, value *yaml.Node
	merged     bool
}

// pairs returns n's keys and values: its own first, then those of the
// mappings it merges (<<: *anchor), in YAML's order of precedence.
func (d *Decoder) pairs(path string, n *yaml.Node, depth int, merged bool, out []pair) ([]pair, error) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		out = append(out, pair{key: k, value: v, merged: merged})
	}
	for _, m := range merges {
		if depth >= maxMergeDepth {
			return nil, d.Errorf(m, path, ErrValue, nil, "merge keys (<<) nested more than %d deep", maxMergeDepth)
		}
		m, err := d.Resolve(path, m)
		if err != nil {
			return nil, err
		}
		items := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			items = m.Content
		}
		for _, it := range items {
			it, err := d.Resolve(path, it)
			if err != nil {
				return nil, err
			}
			if it.Kind != yaml.MappingNode {
				return nil, d.Errorf(it, path, ErrType, nil, "want a mapping (or a list of mappings) after <<, got %s", Describe(it, it.Value))
			}
			if out, err = d.pairs(path, it, depth+1, true, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Mapping decodes n, which must be a mapping (or null: no keys), key by
// key in the order written, as m says: each key in m.Fields is decoded by
// its Field's Decode, any other by m.Rest. Then it checks that every
// required key was given.
func (d *Decoder) Mapping(path string, n *yaml.Node, m Mapping) error {
	n, err := d.Resolve(path, n)
	if err != nil {
		return err
	}
	if IsNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		return d.Errorf(n, path, ErrType, nil, "want %s (a mapping), got %s", m.What, Describe(n, n.Value))
	}
	var ps []pair
	if m.NoMerge {
		// Merge keys stay in place, to be refused in their turn.
		for i := 0; i+1 < len(n.Content); i += 2 {
			ps = append(ps, pair{key: n.Content[i], value: n.Content[i+1]})
		}
	} else if ps, err = d.pairs(path, n, 0, false, nil); err != nil {
		return err
	}
	type given struct {
		spelling string
		at       *yaml.Node
	}
	seen := make(map[*Field]given, len(ps))
	var rest map[string]*yaml.Node // the keys given to m.Rest
	for _, p := range ps {
		k, err := d.Resolve(path, p.key)
		if err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return d.Errorf(k, path, ErrType, nil, "want a key name, got %s", Describe(k, ""))
		}
		if m.NoMerge && k.ShortTag() == "!!merge" {
			return d.Errorf(k, path, ErrUnknownKey, nil, "merge keys (<<) are not supported in %s", m.What)
		}
		name := k.Value
		f := lookupField(m.Fields, name)
		switch {
		case f == nil && m.Rest != nil:
			if prev, dup := rest[name]; dup {
				if p.merged {
					continue // an explicit key overrides a merged one
				}
				return d.Errorf(k, path, ErrConflict, nil, "key %s given twice (first at line %d)", Quote(name), prev.Line)
			}
			if rest == nil {
				rest = make(map[string]*yaml.Node)
			}
			rest[name] = k
			if err := m.Rest(Join(path, name), name, k, p.value); err != nil {
				return err
			}
			continue
		case f == nil && m.Named:
			return d.Errorf(k, path, ErrUnknownKey, nil, "unknown key %s in %s (want one of %s)", Quote(name), m.What, strings.Join(keys(m.Fields), ", "))
		case f == nil:
			return d.Errorf(k, path, ErrUnknownKey, nil, "unknown key %s%s", Quote(name), suggest(name, m.Fields))
		}
		if prev, dup := seen[f]; dup {
			if p.merged {
				continue // an explicit key overrides a merged one
			}
			if prev.spelling == name {
				return d.Errorf(k, path, ErrConflict, nil, "key %s given twice (first at line %d)", Quote(name), prev.at.Line)
			}
			return d.Errorf(k, path, ErrConflict, nil, "%s and %s are two spellings of one setting (%s at line %d); give only one", prev.spelling, name, prev.spelling, prev.at.Line)
		}
		seen[f] = given{name, k}
		if err := f.Decode(d, Join(path, name), p.value); err != nil {
			return err
		}
	}
	for i := range m.Fields {
		if f := &m.Fields[i]; f.Required {
			if _, ok := seen[f]; !ok {
				if m.Named {
					return d.Errorf(n, path, ErrMissing, nil, "missing key %s in %s", f.Key, m.What)
				}
				return d.Errorf(n, path, ErrMissing, nil, "missing key %s", f.Key)
			}
		}
	}
	return nil
}

// keys lists the canonical spellings of fields.
func keys(fields []Field) []string {
	all := make([]string, 0, len(fields))
	for _, f := range fields {
		all = append(all, f.Key)
	}
	return all
}

func lookupField(fields []Field, name string) *Field {
	for i := range fields {
		f := &fields[i]
		if f.Key == name {
			return f
		}
		for _, a := range f.Aliases {
			if a == name {
				return f
			}
		}
	}
	return nil
}

// suggest names the closest known key, or lists them all.
func suggest(name string, fields []Field) string {
	// Suggest only a near miss: within two edits, and fewer for short
	// names (ivl is not a typo of ttl).
	best, bestDist := "", min(2, len(name)/3)+1
	var all []string
	for _, f := range fields {
		for _, k := range append([]string{f.Key}, f.Aliases...) {
			if dist := editDistance(strings.ToLower(name), k); dist < bestDist {
				best, bestDist = k, dist
			}
		}
		all = append(all, f.Key)
	}
	if best != "" {
		return "; did you mean " + best + "?"
	}
	if len(all) == 0 {
		return ""
	}
	return " (want one of " + strings.Join(all, ", ") + ")"
}

// editDistance is the Levenshtein distance between a and b (short strings).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Seq decodes n, which must be a list (or null: no items), calling each
// for every item with the item's path (Index). what names the items in
// errors: "want a list of <what>, got a mapping".
func (d *Decoder) Seq(path string, n *yaml.Node, what string, each func(path string, item *yaml.Node) error) error {
	n, err := d.Resolve(path, n)
	if err != nil {
		return err
	}
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.Errorf(n, path, ErrType, nil, "want a list of %s, got %s", what, Describe(n, n.Value))
	}
	for i, it := range n.Content {
		if err := each(Index(path, i), it); err != nil {
			return err
		}
	}
	return nil
}

// quotedStyles are the scalar styles whose value is text whatever it looks
// like.
const quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle | yaml.TaggedStyle

// Scalar returns the text of a scalar value with ${VAR} references
// expanded (see Expand), its YAML tag ("!!str", "!!int", "!!null", ...)
// and the node it resolved n to, for errors. A plain (unquoted) value is
// typed again after expansion, so `send_hwm: ${HWM}` can be an integer
// while `password: "${PW}"` stays text. A null value gives the tag
// "!!null"; a mapping or a list is an ErrType error saying that the
// setting wants want ("a duration such as 300ms or 1s").
func (d *Decoder) Scalar(path string, n *yaml.Node, want string) (text, tag string, at *yaml.Node, err error) {
	n, err = d.Resolve(path, n)
	if err != nil {
		return "", "", nil, err
	}
	if n.Kind != yaml.ScalarNode {
		if IsNull(n) {
			return "", "!!null", n, nil
		}
		return "", "", n, d.Errorf(n, path, ErrType, nil, "want %s, got %s", want, Describe(n, ""))
	}
	text, tag = n.Value, n.ShortTag()
	if tag == "!!str" && strings.Contains(text, "${") {
		if text, err = d.Expand(path, n, text); err != nil {
			return "", "", n, err
		}
		if n.Style&quotedStyles == 0 {
			tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: text}).ShortTag()
		}
	}
	return text, tag, n, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Expand replaces each ${NAME} in s, the text of the value n at path, by
// the environment variable NAME; one that is not set is an ErrEnv error.
// $${ stands for a literal ${, and a ${ not followed by a name and } is
// left as it is: Z85 keys may contain ${. Scalar calls Expand; call it
// for text read some other way.
func (d *Decoder) Expand(path string, n *yaml.Node, s string) (string, error) {
	lookup := d.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 || !envName.MatchString(s[i+2:i+2+end]) {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		name := s[i+2 : i+2+end]
		v, ok := lookup(name)
		if !ok {
			return "", d.Errorf(n, path, ErrEnv, nil, "environment variable %s is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

// Text decodes any non-null scalar as text (`groups: [1, 2]` gives "1" and
// "2"). Null leaves dst as it is.
func (d *Decoder) Text(path string, n *yaml.Node, dst *string, want string) error {
	text, tag, n, err := d.Scalar(path, n, want)
	if err != nil {
		return err
	}
	switch tag {
	case "!!null":
		return nil
	case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
		*dst = text
		return nil
	}
	return d.Errorf(n, path, ErrType, nil, "want %s, got a value tagged %s", want, tag)
}

// Int64 decodes an integer in [lo, hi], written as YAML writes them (42,
// 0x1F, 0o17, 1_000). A value that is not an integer is an ErrType error,
// one out of range an ErrValue error; both say the setting wants want ("a
// non-negative integer"). Null leaves dst as it is.
func (d *Decoder) Int64(path string, n *yaml.Node, dst *int64, lo, hi int64, want string) error {
	text, tag, n, err := d.Scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	if tag != "!!int" {
		return d.Errorf(n, path, ErrType, nil, "want %s, got %s", want, Quote(text))
	}
	var v int64
	// yaml.v3 reads 0x1F, 0o17 and 1_000 as YAML does.
	if err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: text}).Decode(&v); err != nil {
		return d.Errorf(n, path, ErrValue, nil, "want %s, got %s (out of range)", want, Quote(text))
	}
	if v < lo || v > hi {
		return d.Errorf(n, path, ErrValue, nil, "want %s, got %s", want, Quote(text))
	}
	*dst = v
	return nil
}

// Int is Int64 for an int.
func (d *Decoder) Int(path string, n *yaml.Node, dst *int, lo, hi int64, want string) error {
	v := int64(*dst)
	if err := d.Int64(path, n, &v, lo, hi, want); err != nil {
		return err
	}
	*dst = int(v)
	return nil
}

// Bool decodes true or false: YAML's booleans (also True and FALSE), not
// yes, on, 1 or the text "true" (quoted), which are refused with a message
// that says how to write the value. Null leaves dst as it is.
func (d *Decoder) Bool(path string, n *yaml.Node, dst *bool) error {
	text, tag, n, err := d.Scalar(path, n, "true or false")
	if err != nil || tag == "!!null" {
		return err
	}
	if tag != "!!bool" {
		hint := ""
		if tag == "!!str" && (strings.EqualFold(text, "true") || strings.EqualFold(text, "false")) {
			hint = " (quoted, it is text: write true or false without quotes)"
		}
		return d.Errorf(n, path, ErrType, nil, "want true or false, got %s%s", Quote(text), hint)
	}
	var v bool
	if err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: text}).Decode(&v); err != nil {
		return d.Errorf(n, path, ErrType, nil, "want true or false, got %s", Quote(text))
	}
	*dst = v
	return nil
}

// UnitHint explains why text, which is not a duration, was refused when it
// is a bare number (" (a number needs a unit: write 30s, not 30; ...)"),
// and is empty otherwise. Every reader of durations in this module gives it,
// so that the rule reads the same from YAML and from JSON.
func UnitHint(text string) string {
	t := strings.TrimSpace(text)
	if _, err := strconv.ParseFloat(t, 64); err != nil {
		return ""
	}
	return " (a number needs a unit: write " + t + "s, not " + t + "; units are ns, us, ms, s, m and h)"
}

// DurationSpec says which durations a setting takes (see
// Decoder.Duration). The zero value takes any non-negative duration.
type DurationSpec struct {
	// Positive refuses 0, explaining why with ZeroHint (" (null means no
	// timeout)").
	Positive bool
	ZeroHint string
	// Word, if set, is a keyword that means WordValue ("forever" for an
	// unbounded linger, "off" to turn something off).
	Word      string
	WordValue time.Duration
	// Max, if set, bounds the value.
	Max time.Duration
}

// Duration decodes a duration written as time.ParseDuration reads it
// ("300ms", "1.5s", "1m30s"); spaces between parts are allowed, as
// libzmq-rs's humantime writes them ("1s 500ms"). A number needs a unit
// (0 alone is 0): 30 is refused, with a message that says to write 30s.
// Negative durations are refused, and what else spec says. Null leaves dst
// as it is (not set).
func (d *Decoder) Duration(path string, n *yaml.Node, dst *time.Duration, spec DurationSpec) error {
	want := "a duration such as 300ms or 1s"
	if spec.Word != "" {
		want += ", or " + spec.Word
	}
	text, tag, n, err := d.Scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	if spec.Word != "" && text == spec.Word {
		*dst = spec.WordValue
		return nil
	}
	v, perr := time.ParseDuration(strings.ReplaceAll(strings.TrimSpace(text), " ", ""))
	switch {
	case perr != nil || text == "":
		return d.Errorf(n, path, ErrValue, nil, "want %s, got %s%s", want, Quote(text), UnitHint(text))
	case v < 0:
		return d.Errorf(n, path, ErrValue, nil, "want a non-negative duration, got %s", Quote(text))
	case v == 0 && spec.Positive:
		return d.Errorf(n, path, ErrValue, nil, "want a positive duration, got %s%s", Quote(text), spec.ZeroHint)
	case spec.Max > 0 && v > spec.Max:
		return d.Errorf(n, path, ErrValue, nil, "want at most %v, got %s", spec.Max, Quote(text))
	}
	*dst = v
	return nil
}

// ParseYAML reads data, named name in errors, as one YAML document and
// returns its root node for a Decoder: nil for an empty document. A syntax
// error, or a second document, is an *Error of kind ErrSyntax with the
// line (and where known the column) at fault.
func ParseYAML(name string, data []byte) (root *yaml.Node, err error) {
	// yaml.v3 recovers its own errors; this guards the caller against a
	// parser bug on hostile input turning into a crash.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{File: name, Kind: ErrSyntax, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, data, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, data, err)
	default:
		return nil, &Error{File: name, Line: next.Line, Column: next.Column, Kind: ErrSyntax,
			Msg: "a second YAML document (after ---); a configuration file holds one"}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// syntaxError turns one of yaml.v3's parse errors ("yaml: line 3: ...")
// into an *Error.
func syntaxError(name string, data []byte, err error) *Error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	e := &Error{File: name, Kind: ErrSyntax}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// yaml.v3 numbers lines from 1 for its scanner's errors but from 0 for
	// its parser's (and leaves out line 0 altogether); the parser's
	// problems all start with "did not find" or "found" + a YAML term.
	if isParserProblem(msg) {
		e.Line++
	}
	// An alias to an undefined anchor comes without a line: find it.
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil && e.Line == 0 {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			e.Line = 1 + bytes.Count(data[:i], []byte("\n"))
			e.Column = 1 + i - (bytes.LastIndexByte(data[:i], '\n') + 1)
		}
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// parserProblems are the messages of yaml.v3's parser (parserc.go), as
// opposed to its scanner's.
var parserProblems = []string{
	"did not find expected <", "did not find expected key", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected ',' or",
	"found duplicate %", "found incompatible YAML document", "found undefined tag handle",
}

func isParserProblem(msg string) bool {
	for _, p := range parserProblems {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
