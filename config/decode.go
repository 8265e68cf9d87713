package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
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
// Each config type lists its keys as a table of fields, each with the
// function that decodes its value into the Go struct. The walk is driven by
// those tables, so it never descends deeper than the configuration's own
// shape, however the YAML is nested.

// Limits against hostile files: aliases can make a small file describe a
// huge tree (the "billion laughs"), and merge keys can recurse.
const (
	maxVisits     = 1 << 20 // nodes visited in one decode, aliases expanded
	maxMergeDepth = 16      // merge keys (<<) within merged mappings
	maxShown      = 64      // characters of a bad value quoted in an error
)

// decoder holds the state of one decode. It is used by one goroutine.
type decoder struct {
	file   string
	lookup func(string) (string, bool) // environment, for ${VAR}
	visits int
}

// field is one key of a mapping.
type field struct {
	key      string   // the canonical spelling
	aliases  []string // other accepted spellings (libzmq-rs's, or friendlier ones)
	required bool
	decode   func(d *decoder, path string, n *yaml.Node) error
}

// fail returns an *Error located at n.
func (d *decoder) fail(n *yaml.Node, path string, kind, cause error, format string, args ...any) *Error {
	e := &Error{File: d.file, Path: path, Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// resolve follows an alias to the node it names, and counts the visit
// against maxVisits.
func (d *decoder) resolve(path string, n *yaml.Node) (*yaml.Node, error) {
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 8 {
			return nil, d.fail(n, path, ErrSyntax, nil, "alias *%s names no anchor", n.Value)
		}
		n = n.Alias
	}
	d.visits++
	if d.visits > maxVisits {
		return nil, d.fail(n, path, ErrValue, nil, "aliases expand to more than %d values; refusing the file", maxVisits)
	}
	return n, nil
}

// isNull reports whether n is a YAML null (~, null, or nothing at all).
func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe says what a node is, for "got ..." in errors. text is the
// scalar's value after expansion.
func describe(n *yaml.Node, text string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return quote(text)
	}
	return "nothing"
}

// quote quotes a value for an error message, shortened if long.
func quote(s string) string {
	if len(s) > maxShown {
		return strconv.Quote(s[:maxShown]) + "..."
	}
	return strconv.Quote(s)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// pair is one key and value of a mapping; merged marks pairs that came in
// through a merge key (<<), which explicit keys override.
type pair struct {
	key, value *yaml.Node
	merged     bool
}

// pairs returns n's keys and values: its own first, then those of the
// mappings it merges (<<: *anchor), in YAML's order of precedence.
func (d *decoder) pairs(path string, n *yaml.Node, depth int, merged bool, out []pair) ([]pair, error) {
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
			return nil, d.fail(m, path, ErrValue, nil, "merge keys (<<) nested more than %d deep", maxMergeDepth)
		}
		m, err := d.resolve(path, m)
		if err != nil {
			return nil, err
		}
		items := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			items = m.Content
		}
		for _, it := range items {
			it, err := d.resolve(path, it)
			if err != nil {
				return nil, err
			}
			if it.Kind != yaml.MappingNode {
				return nil, d.fail(it, path, ErrType, nil, "want a mapping (or a list of mappings) after <<, got %s", describe(it, it.Value))
			}
			if out, err = d.pairs(path, it, depth+1, true, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// mapping decodes n, which must be a mapping (or null: nothing set), by the
// table fields. what names the mapping in errors ("a socket
// configuration").
func (d *decoder) mapping(path string, n *yaml.Node, what string, fields []field) error {
	n, err := d.resolve(path, n)
	if err != nil {
		return err
	}
	if isNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		return d.fail(n, path, ErrType, nil, "want %s (a mapping), got %s", what, describe(n, n.Value))
	}
	ps, err := d.pairs(path, n, 0, false, nil)
	if err != nil {
		return err
	}
	type given struct {
		spelling string
		at       *yaml.Node
	}
	seen := make(map[*field]given, len(ps))
	for _, p := range ps {
		k, err := d.resolve(path, p.key)
		if err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return d.fail(k, path, ErrType, nil, "want a key name, got %s", describe(k, ""))
		}
		name := k.Value
		f := lookupField(fields, name)
		if f == nil {
			return d.fail(k, path, ErrUnknownKey, nil, "unknown key %s%s", quote(name), suggest(name, fields))
		}
		if prev, dup := seen[f]; dup {
			if p.merged {
				continue // an explicit key overrides a merged one
			}
			if prev.spelling == name {
				return d.fail(k, path, ErrConflict, nil, "key %s given twice (first at line %d)", quote(name), prev.at.Line)
			}
			return d.fail(k, path, ErrConflict, nil, "%s and %s are two spellings of one setting (%s at line %d); give only one", prev.spelling, name, prev.spelling, prev.at.Line)
		}
		seen[f] = given{name, k}
		if err := f.decode(d, join(path, name), p.value); err != nil {
			return err
		}
	}
	for i := range fields {
		if f := &fields[i]; f.required {
			if _, ok := seen[f]; !ok {
				return d.fail(n, path, ErrMissing, nil, "missing key %s", f.key)
			}
		}
	}
	return nil
}

func lookupField(fields []field, name string) *field {
	for i := range fields {
		f := &fields[i]
		if f.key == name {
			return f
		}
		for _, a := range f.aliases {
			if a == name {
				return f
			}
		}
	}
	return nil
}

// suggest names the closest known key, or lists them all.
func suggest(name string, fields []field) string {
	// Suggest only a near miss: within two edits, and fewer for short
	// names (ivl is not a typo of ttl).
	best, bestDist := "", min(2, len(name)/3)+1
	var all []string
	for _, f := range fields {
		for _, k := range append([]string{f.key}, f.aliases...) {
			if dist := editDistance(strings.ToLower(name), k); dist < bestDist {
				best, bestDist = k, dist
			}
		}
		all = append(all, f.key)
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

// seq decodes n, which must be a list (or null: empty), calling each for
// every item.
func (d *decoder) seq(path string, n *yaml.Node, what string, each func(path string, item *yaml.Node) error) error {
	n, err := d.resolve(path, n)
	if err != nil {
		return err
	}
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.fail(n, path, ErrType, nil, "want a list of %s, got %s", what, describe(n, n.Value))
	}
	for i, it := range n.Content {
		if err := each(index(path, i), it); err != nil {
			return err
		}
	}
	return nil
}

// quotedStyles are the scalar styles whose value is text whatever it looks
// like.
const quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle | yaml.TaggedStyle

// scalar returns the text of a scalar value with ${VAR} references expanded,
// and its YAML tag: "!!str", "!!int", "!!null", ... A plain (unquoted) value
// is typed again after expansion, so `send_hwm: ${HWM}` can be an integer
// while `password: "${PW}"` stays text. want says what the setting expects,
// for the error when n is not a scalar.
func (d *decoder) scalar(path string, n *yaml.Node, want string) (text, tag string, n2 *yaml.Node, err error) {
	n, err = d.resolve(path, n)
	if err != nil {
		return "", "", nil, err
	}
	if n.Kind != yaml.ScalarNode {
		if isNull(n) {
			return "", "!!null", n, nil
		}
		return "", "", n, d.fail(n, path, ErrType, nil, "want %s, got %s", want, describe(n, ""))
	}
	text, tag = n.Value, n.ShortTag()
	if tag == "!!str" && strings.Contains(text, "${") {
		if text, err = d.expand(path, n, text); err != nil {
			return "", "", n, err
		}
		if n.Style&quotedStyles == 0 {
			tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: text}).ShortTag()
		}
	}
	return text, tag, n, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces each ${NAME} in s by the environment variable NAME (an
// error if it is not set). $${ stands for a literal ${, and a ${ not
// followed by a name and } is left as it is: Z85 keys may contain ${.
func (d *decoder) expand(path string, n *yaml.Node, s string) (string, error) {
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
		v, ok := d.lookup(name)
		if !ok {
			return "", d.fail(n, path, ErrEnv, nil, "environment variable %s is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

// text decodes any non-null scalar as text (`groups: [1, 2]` gives "1" and
// "2"). Null leaves dst as it is.
func (d *decoder) text(path string, n *yaml.Node, dst *string, want string) error {
	text, tag, n, err := d.scalar(path, n, want)
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
	return d.fail(n, path, ErrType, nil, "want %s, got a value tagged %s", want, tag)
}

// integer decodes an integer in [lo, hi]. Null leaves dst as it is.
func (d *decoder) integer(path string, n *yaml.Node, dst *int64, lo, hi int64, want string) error {
	text, tag, n, err := d.scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	if tag != "!!int" {
		return d.fail(n, path, ErrType, nil, "want %s, got %s", want, quote(text))
	}
	var v int64
	// yaml.v3 reads 0x1F, 0o17 and 1_000 as YAML does.
	if err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: text}).Decode(&v); err != nil {
		return d.fail(n, path, ErrValue, nil, "want %s, got %s (out of range)", want, quote(text))
	}
	if v < lo || v > hi {
		return d.fail(n, path, ErrValue, nil, "want %s, got %s", want, quote(text))
	}
	*dst = v
	return nil
}

// intField decodes an int in [lo, hi].
func (d *decoder) intField(path string, n *yaml.Node, dst *int, lo, hi int64, want string) error {
	v := int64(*dst)
	if err := d.integer(path, n, &v, lo, hi, want); err != nil {
		return err
	}
	*dst = int(v)
	return nil
}

// boolean decodes true or false. Null leaves dst as it is.
func (d *decoder) boolean(path string, n *yaml.Node, dst *bool) error {
	text, tag, n, err := d.scalar(path, n, "true or false")
	if err != nil || tag == "!!null" {
		return err
	}
	if tag != "!!bool" {
		return d.fail(n, path, ErrType, nil, "want true or false, got %s", quote(text))
	}
	var v bool
	if err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: text}).Decode(&v); err != nil {
		return d.fail(n, path, ErrType, nil, "want true or false, got %s", quote(text))
	}
	*dst = v
	return nil
}

// durationSpec says which durations a setting takes.
type durationSpec struct {
	// positive refuses 0, explaining why with zeroHint.
	positive bool
	zeroHint string
	// word, if set, is a keyword meaning the value wordValue ("forever"
	// for an unbounded linger, "off" to turn something off).
	word      string
	wordValue time.Duration
	// max, if set, bounds the value.
	max time.Duration
}

// duration decodes a duration written as Go's time.ParseDuration reads it
// ("300ms", "1.5s", "1m30s"); spaces between parts are allowed, as
// libzmq-rs's humantime writes them ("1s 500ms"). Null leaves dst as it is
// (not set).
func (d *decoder) duration(path string, n *yaml.Node, dst *time.Duration, spec durationSpec) error {
	want := "a duration such as 300ms or 1s"
	if spec.word != "" {
		want += ", or " + spec.word
	}
	text, tag, n, err := d.scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	if spec.word != "" && text == spec.word {
		*dst = spec.wordValue
		return nil
	}
	v, perr := time.ParseDuration(strings.ReplaceAll(strings.TrimSpace(text), " ", ""))
	switch {
	case perr != nil || text == "":
		hint := ""
		if _, err := strconv.ParseFloat(text, 64); err == nil {
			hint = " (a number needs a unit: ns, us, ms, s, m or h)"
		}
		return d.fail(n, path, ErrValue, nil, "want %s, got %s%s", want, quote(text), hint)
	case v < 0:
		return d.fail(n, path, ErrValue, nil, "want a non-negative duration, got %s", quote(text))
	case v == 0 && spec.positive:
		return d.fail(n, path, ErrValue, nil, "want a positive duration, got %s%s", quote(text), spec.zeroHint)
	case spec.max > 0 && v > spec.max:
		return d.fail(n, path, ErrValue, nil, "want at most %v, got %s", spec.max, quote(text))
	}
	*dst = v
	return nil
}

// parse reads data as one YAML document and returns its root node (nil for
// an empty document).
func parse(name string, data []byte) (root *yaml.Node, err error) {
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
