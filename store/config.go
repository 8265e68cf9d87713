package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/keyexpr"
)

// Config is a storage server's configuration file. The socket sections
// are package config's, decoded by it with its rules (aliases, ${VAR},
// mechanisms); volumes and storages follow Zenoh's storage manager:
//
//	server:   {bind: [tcp://127.0.0.1:7447]}   # config.ServerConfig: requests (default as shown)
//	radio:    {bind: [tcp://127.0.0.1:7448]}   # config.RadioConfig: change feed (optional)
//	gather:   {bind: [tcp://127.0.0.1:7449]}   # config.GatherConfig: bulk ingest (optional)
//	auth:     {...}                            # config.AuthConfig, for the sockets without their own
//	requests: {workers: 16, query_workers: 4, query_queue: 256, max_value_size: 16MiB,
//	           max_drift: 500ms, timeout: 30s}
//	garbage_collection: {period: 30s, lifespan: 24h}  # defaults for every storage
//	volumes:                                   # name: {kind: <backend>, <volume options>}
//	  data: {kind: fs, root: ./zmesh-data}     # kind defaults to the name; "memory" always exists
//	storages:                                  # name: {...}; the name is the feed group
//	  demo:
//	    key_expr: demo/**                      # required
//	    strip_prefix: demo                     # optional
//	    volume: data                           # or {id: data, <storage options of the backend>}
//	    read_only: false
//	    garbage_collection: {lifespan: 1h}     # optional, overrides the defaults
//
// examples/storage/zmesh.yaml is an annotated example. Errors are
// *config.Error values: one line naming the file, line, column and
// setting, matching config.ErrUnknownKey, config.ErrType, config.ErrValue,
// config.ErrMissing, config.ErrConflict, config.ErrEnv or config.ErrSyntax.
type Config struct {
	// Server is the SERVER socket clients send requests to. nil (no server
	// section) binds DefaultEndpoint.
	Server *config.ServerConfig
	// Radio, if set, publishes the change feed.
	Radio *config.RadioConfig
	// Gather, if set, accepts bulk puts.
	Gather *config.GatherConfig
	// Auth authorises the peers of the sockets above that have no auth
	// section of their own.
	Auth *config.AuthConfig
	// Requests tunes request handling; zero fields mean Options' defaults.
	Requests RequestsConfig
	// GarbageCollection are the storages' default tombstone collection
	// settings; zero fields mean Options' defaults.
	GarbageCollection GCConfig
	// Volumes are the backend instances, in file order.
	Volumes []VolumeConfig
	// Storages are the storages, in file order.
	Storages []StorageConfig
	// Name is the file the configuration came from, for messages.
	Name string
}

// RequestsConfig is the requests section (see Options for each field).
type RequestsConfig struct {
	Workers      int           // YAML workers
	QueryWorkers int           // YAML query_workers
	QueryQueue   int           // YAML query_queue
	MaxValueSize int           // YAML max_value_size: bytes, or "16MiB", "1MB"...
	MaxDrift     time.Duration // YAML max_drift: a duration, or "off"
	Timeout      time.Duration // YAML timeout
}

// GCConfig is a garbage_collection section: durations as "30s" or as
// numbers of seconds (Zenoh's way).
type GCConfig struct {
	Period   time.Duration // YAML period
	Lifespan time.Duration // YAML lifespan
}

// VolumeConfig is one volume.
type VolumeConfig struct {
	// Name is the volume's key in the volumes section.
	Name string
	// Kind is the backend ("memory", "fs", "s3"...; see backend.Kinds).
	Kind string
	// Options are the other keys, for the backend's factory.
	Options backend.Options
	line    int // where the volume is written, for errors from its backend
	column  int
}

// StorageConfig is one storage.
type StorageConfig struct {
	Name        string          // its key in the storages section, and its feed group
	KeyExpr     string          // YAML key_expr
	StripPrefix string          // YAML strip_prefix
	Volume      string          // YAML volume (a name, or the id of the map form)
	Options     backend.Options // YAML volume's map form, without id: the backend's storage options
	ReadOnly    bool            // YAML read_only
	GC          GCConfig        // YAML garbage_collection
	line        int             // where the storage is written
	column      int
	volumeAt    *yaml.Node // its volume value, for errors about it
}

// fileDefaultName is the name DefaultConfig's errors and logs give.
const fileDefaultName = "(built-in default configuration)"

// DefaultConfigYAML is the configuration `zmesh serve` runs without -c:
// one storage for every key on a filesystem volume under ./zmesh-data,
// requests on DefaultEndpoint and the change feed on port 7448.
const DefaultConfigYAML = `# zmesh serve's built-in configuration (zmesh serve --print-config)
server:
  bind: [tcp://127.0.0.1:7447]
radio:
  bind: [tcp://127.0.0.1:7448]
volumes:
  data:
    kind: fs
    root: ./zmesh-data
storages:
  default:
    key_expr: "**"
    volume: data
`

// DefaultConfig returns DefaultConfigYAML, parsed.
func DefaultConfig() (*Config, error) {
	return ParseConfig(fileDefaultName, []byte(DefaultConfigYAML))
}

// LoadConfig reads and parses the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses a configuration held in data; name is used in
// errors. ${VAR} references read the process environment.
func ParseConfig(name string, data []byte) (*Config, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name, lookup: os.LookupEnv}
	c := &Config{Name: name}
	if root == nil {
		root = &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}
	}
	if err := d.config(root, c); err != nil {
		return nil, err
	}
	return c, nil
}

// parseYAML reads one YAML document and returns its root (nil if empty).
func parseYAML(name string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 recovers its own panics; this guards against a parser bug
		// on hostile input crashing the server.
		if r := recover(); r != nil {
			root, err = nil, &config.Error{File: name, Kind: config.ErrSyntax, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, err)
	default:
		return nil, &config.Error{File: name, Line: next.Line, Column: next.Column, Kind: config.ErrSyntax,
			Msg: "a second YAML document (after ---); a configuration file holds one"}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns yaml.v3's "yaml: line 3: ..." into a *config.Error.
func syntaxError(name string, err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	e := &config.Error{File: name, Kind: config.ErrSyntax}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// yaml.v3's parser (as opposed to its scanner) counts lines from 0.
	if strings.HasPrefix(msg, "did not find expected") || strings.HasPrefix(msg, "found ") {
		e.Line++
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

// decoder walks the node tree of one file. The socket and auth sections
// are handed to package config's decoders (through yaml.Unmarshaler), whose
// errors are then pinned to this file and path; the rest is decoded here,
// strictly, with errors of the same form.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	visits int
}

// maxVisits bounds the nodes visited, aliases expanded (billion laughs).
const maxVisits = 1 << 20

func (d *decoder) fail(n *yaml.Node, path string, kind, cause error, format string, args ...any) error {
	e := &config.Error{File: d.file, Path: path, Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

func (d *decoder) resolve(path string, n *yaml.Node) (*yaml.Node, error) {
	for hops := 0; n.Kind == yaml.AliasNode; hops++ {
		if n.Alias == nil || hops > 8 {
			return nil, d.fail(n, path, config.ErrSyntax, nil, "alias *%s names no anchor", n.Value)
		}
		n = n.Alias
	}
	if d.visits++; d.visits > maxVisits {
		return nil, d.fail(n, path, config.ErrValue, nil, "aliases expand to more than %d values; refusing the file", maxVisits)
	}
	return n, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return quote(n.Value)
	}
	return "nothing"
}

func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}

func join(path, key string) string {
	switch {
	case path == "":
		return key
	case key == "":
		return path
	}
	return path + "." + key
}

// field is one key of a mapping and how to decode its value.
type field struct {
	key      string
	required bool
	decode   func(path string, n *yaml.Node) error
}

// mapping decodes the mapping n by fields; an unknown key is an error
// that lists the known ones. With rest set, unknown keys go to rest
// instead (a backend's options).
func (d *decoder) mapping(path string, n *yaml.Node, what string, fields []field, rest func(key string, k, v *yaml.Node) error) error {
	n, err := d.resolve(path, n)
	if err != nil {
		return err
	}
	if isNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		return d.fail(n, path, config.ErrType, nil, "want %s (a mapping), got %s", what, describe(n))
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := d.resolve(path, n.Content[i])
		if err != nil {
			return err
		}
		v := n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return d.fail(k, path, config.ErrType, nil, "want a key name, got %s", describe(k))
		}
		if k.ShortTag() == "!!merge" {
			return d.fail(k, path, config.ErrUnknownKey, nil, "merge keys (<<) are not supported in %s", what)
		}
		name := k.Value
		if prev, dup := seen[name]; dup {
			return d.fail(k, path, config.ErrConflict, nil, "key %s given twice (first at line %d)", quote(name), prev.Line)
		}
		seen[name] = k
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == name })
		switch {
		case i >= 0:
			if err := fields[i].decode(join(path, name), v); err != nil {
				return err
			}
		case rest != nil:
			if err := rest(name, k, v); err != nil {
				return err
			}
		default:
			var known []string
			for _, f := range fields {
				known = append(known, f.key)
			}
			return d.fail(k, path, config.ErrUnknownKey, nil, "unknown key %s in %s (want one of %s)", quote(name), what, strings.Join(known, ", "))
		}
	}
	for _, f := range fields {
		if _, ok := seen[f.key]; f.required && !ok {
			return d.fail(n, path, config.ErrMissing, nil, "missing key %s in %s", f.key, what)
		}
	}
	return nil
}

// entries calls each for every key and value of the mapping n, in order,
// refusing duplicate keys.
func (d *decoder) entries(path string, n *yaml.Node, what string, each func(name string, k, v *yaml.Node) error) error {
	return d.mapping(path, n, what, nil, func(name string, k, v *yaml.Node) error {
		return each(name, k, v)
	})
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${NAME} by the environment variable NAME (an error if it
// is not set), $${ by a literal ${, and leaves any other ${ alone: the
// rules of package config.
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
			return "", d.fail(n, path, config.ErrEnv, nil, "environment variable %s is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

const quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle | yaml.TaggedStyle

// scalar returns a scalar's text, ${VAR} expanded, and its tag (a plain
// value is typed again after expansion, as in package config).
func (d *decoder) scalar(path string, n *yaml.Node, want string) (string, string, *yaml.Node, error) {
	n, err := d.resolve(path, n)
	if err != nil {
		return "", "", nil, err
	}
	if isNull(n) {
		return "", "!!null", n, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", "", n, d.fail(n, path, config.ErrType, nil, "want %s, got %s", want, describe(n))
	}
	text, tag := n.Value, n.ShortTag()
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

// text decodes a non-empty string.
func (d *decoder) text(path string, n *yaml.Node, dst *string, want string) error {
	text, tag, n, err := d.scalar(path, n, want)
	if err != nil {
		return err
	}
	if tag == "!!null" || text == "" {
		return d.fail(n, path, config.ErrValue, nil, "want %s, got nothing", want)
	}
	if tag != "!!str" {
		return d.fail(n, path, config.ErrType, nil, "want %s, got %s (quote it to make it text)", want, quote(text))
	}
	*dst = text
	return nil
}

// integer decodes a non-negative integer; null leaves dst alone.
func (d *decoder) integer(path string, n *yaml.Node, dst *int, want string) error {
	text, tag, n, err := d.scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	var v int64
	if tag != "!!int" || (&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: text}).Decode(&v) != nil {
		return d.fail(n, path, config.ErrType, nil, "want %s, got %s", want, quote(text))
	}
	if v < 0 || v > math.MaxInt32 {
		return d.fail(n, path, config.ErrValue, nil, "want %s, got %s", want, quote(text))
	}
	*dst = int(v)
	return nil
}

// boolean decodes true or false; null leaves dst alone.
func (d *decoder) boolean(path string, n *yaml.Node, dst *bool) error {
	text, tag, n, err := d.scalar(path, n, "true or false")
	if err != nil || tag == "!!null" {
		return err
	}
	switch {
	case tag == "!!bool" && (text == "true" || text == "false"):
		*dst = text == "true"
		return nil
	case tag == "!!str" && (text == "true" || text == "false"):
		*dst = text == "true" // Zenoh accepts "true" and "false" as text
		return nil
	}
	return d.fail(n, path, config.ErrType, nil, "want true or false, got %s", quote(text))
}

// duration decodes "300ms", "1h30m", or a number of seconds (Zenoh's
// garbage_collection); with off set, "off" gives the value off. Null
// leaves dst alone.
func (d *decoder) duration(path string, n *yaml.Node, dst *time.Duration, off *time.Duration) error {
	want := "a duration such as 30s or 1h (or a number of seconds)"
	if off != nil {
		want += `, or "off"`
	}
	text, tag, n, err := d.scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	if off != nil && text == "off" {
		*dst = *off
		return nil
	}
	var v time.Duration
	switch tag {
	case "!!int", "!!float":
		secs, perr := strconv.ParseFloat(text, 64)
		if perr != nil || secs < 0 || secs*float64(time.Second) >= math.MaxInt64 {
			return d.fail(n, path, config.ErrValue, nil, "want %s, got %s", want, quote(text))
		}
		v = time.Duration(secs * float64(time.Second))
	case "!!str":
		var perr error
		v, perr = time.ParseDuration(text)
		if perr != nil || v < 0 {
			return d.fail(n, path, config.ErrValue, nil, "want %s, got %s", want, quote(text))
		}
	default:
		return d.fail(n, path, config.ErrType, nil, "want %s, got %s", want, quote(text))
	}
	if v == 0 {
		return d.fail(n, path, config.ErrValue, nil, "want a positive duration, got %s (leave the key out for the default)", quote(text))
	}
	*dst = v
	return nil
}

var sizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}

var sizePattern = regexp.MustCompile(`^\s*([0-9]+)\s*([A-Za-z]*)\s*$`)

// size decodes a byte count: an integer, or a number with a unit (KB, MB,
// GB, KiB, MiB, GiB; case does not matter). Null leaves dst alone.
func (d *decoder) size(path string, n *yaml.Node, dst *int) error {
	want := "a size in bytes such as 1048576 or 16MiB"
	text, tag, n, err := d.scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	m := sizePattern.FindStringSubmatch(text)
	if m == nil || (tag != "!!int" && tag != "!!str") {
		return d.fail(n, path, config.ErrValue, nil, "want %s, got %s", want, quote(text))
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	v, perr := strconv.ParseInt(m[1], 10, 64)
	if !ok || perr != nil || v <= 0 || v > math.MaxInt32/unit {
		return d.fail(n, path, config.ErrValue, nil, "want %s (at most 2GiB), got %s", want, quote(text))
	}
	*dst = int(v * unit)
	return nil
}

// value decodes a backend option: a scalar typed as YAML types it
// (integers as int, floats as float64, true/false as bool, text as
// string), a list as []any, a mapping as backend.Options.
func (d *decoder) value(path string, n *yaml.Node) (any, error) {
	n, err := d.resolve(path, n)
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.MappingNode:
		out := backend.Options{}
		err := d.entries(path, n, "options", func(name string, _, v *yaml.Node) error {
			x, err := d.value(join(path, name), v)
			out[name] = x
			return err
		})
		return out, err
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, it := range n.Content {
			x, err := d.value(fmt.Sprintf("%s[%d]", path, i), it)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	}
	text, tag, n, err := d.scalar(path, n, "a value")
	if err != nil {
		return nil, err
	}
	switch tag {
	case "!!null":
		return nil, nil
	case "!!str":
		return text, nil
	}
	var v any
	if err := (&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: text}).Decode(&v); err != nil {
		return nil, d.fail(n, path, config.ErrValue, nil, "cannot read %s: %v", quote(text), err)
	}
	return v, nil
}

// section decodes a socket or auth section with package config's rules.
func (d *decoder) section(path string, n *yaml.Node, into yaml.Unmarshaler) error {
	if err := into.UnmarshalYAML(n); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			ce.File = d.file
			ce.Path = join(path, ce.Path)
			return ce
		}
		return d.fail(n, path, config.ErrValue, err, "%v", err)
	}
	return nil
}

// config decodes the whole file into c and checks how its parts refer to
// each other.
func (d *decoder) config(root *yaml.Node, c *Config) error {
	var serverNode, storagesNode *yaml.Node
	socketSection := func(key string, set func(n *yaml.Node) error) field {
		return field{key: key, decode: func(path string, n *yaml.Node) error {
			r, err := d.resolve(path, n)
			if err != nil || isNull(r) {
				return err
			}
			return set(n)
		}}
	}
	err := d.mapping("", root, "a storage server configuration", []field{
		socketSection("server", func(n *yaml.Node) error {
			serverNode = n
			c.Server = new(config.ServerConfig)
			return d.section("server", n, c.Server)
		}),
		socketSection("radio", func(n *yaml.Node) error {
			c.Radio = new(config.RadioConfig)
			return d.section("radio", n, c.Radio)
		}),
		socketSection("gather", func(n *yaml.Node) error {
			c.Gather = new(config.GatherConfig)
			return d.section("gather", n, c.Gather)
		}),
		socketSection("auth", func(n *yaml.Node) error {
			c.Auth = new(config.AuthConfig)
			return d.section("auth", n, c.Auth)
		}),
		{key: "requests", decode: func(path string, n *yaml.Node) error {
			r := &c.Requests
			off := time.Duration(-1)
			return d.mapping(path, n, "the requests section", []field{
				{key: "workers", decode: func(p string, n *yaml.Node) error { return d.integer(p, n, &r.Workers, "a number of goroutines") }},
				{key: "query_workers", decode: func(p string, n *yaml.Node) error {
					return d.integer(p, n, &r.QueryWorkers, "a number of goroutines")
				}},
				{key: "query_queue", decode: func(p string, n *yaml.Node) error { return d.integer(p, n, &r.QueryQueue, "a number of requests") }},
				{key: "max_value_size", decode: func(p string, n *yaml.Node) error { return d.size(p, n, &r.MaxValueSize) }},
				{key: "max_drift", decode: func(p string, n *yaml.Node) error { return d.duration(p, n, &r.MaxDrift, &off) }},
				{key: "timeout", decode: func(p string, n *yaml.Node) error { return d.duration(p, n, &r.Timeout, nil) }},
			}, nil)
		}},
		{key: "garbage_collection", decode: func(path string, n *yaml.Node) error {
			return d.gc(path, n, &c.GarbageCollection)
		}},
		{key: "volumes", decode: func(path string, n *yaml.Node) error {
			return d.entries(path, n, "the volumes section", func(name string, k, v *yaml.Node) error {
				vc, err := d.volume(join(path, name), name, k, v)
				c.Volumes = append(c.Volumes, vc)
				return err
			})
		}},
		{key: "storages", required: true, decode: func(path string, n *yaml.Node) error {
			storagesNode = n
			return d.entries(path, n, "the storages section", func(name string, k, v *yaml.Node) error {
				sc, err := d.storage(join(path, name), name, k, v)
				c.Storages = append(c.Storages, sc)
				return err
			})
		}},
	}, nil)
	if err != nil {
		return err
	}
	return d.check(c, root, serverNode, storagesNode)
}

func (d *decoder) gc(path string, n *yaml.Node, g *GCConfig) error {
	return d.mapping(path, n, "a garbage_collection section", []field{
		{key: "period", decode: func(p string, n *yaml.Node) error { return d.duration(p, n, &g.Period, nil) }},
		{key: "lifespan", decode: func(p string, n *yaml.Node) error { return d.duration(p, n, &g.Lifespan, nil) }},
	}, nil)
}

// volume decodes one volume: kind (default: the volume's name) and the
// backend's volume options.
func (d *decoder) volume(path, name string, k, n *yaml.Node) (VolumeConfig, error) {
	vc := VolumeConfig{Name: name, Kind: name, Options: backend.Options{}, line: k.Line, column: k.Column}
	kindAt, kindPath := k, path
	err := d.mapping(path, n, "a volume", []field{
		{key: "kind", decode: func(p string, n *yaml.Node) error {
			kindAt, kindPath = n, p
			return d.text(p, n, &vc.Kind, "a volume kind such as fs")
		}},
	}, func(key string, _, v *yaml.Node) error {
		x, err := d.value(join(path, key), v)
		vc.Options[key] = x
		return err
	})
	if err != nil {
		return vc, err
	}
	if !slices.Contains(backend.Kinds(), vc.Kind) {
		return vc, d.fail(kindAt, kindPath, config.ErrValue, backend.ErrUnknownKind, "unknown volume kind %s (known: %s)",
			quote(vc.Kind), strings.Join(backend.Kinds(), ", "))
	}
	return vc, nil
}

// storage decodes one storage.
func (d *decoder) storage(path, name string, k, n *yaml.Node) (StorageConfig, error) {
	sc := StorageConfig{Name: name, line: k.Line, column: k.Column}
	var stripAt *yaml.Node
	if err := validName(name); err != nil {
		return sc, d.fail(k, path, config.ErrValue, nil, "%v", err)
	}
	err := d.mapping(path, n, "a storage", []field{
		{key: "key_expr", required: true, decode: func(p string, n *yaml.Node) error {
			if err := d.text(p, n, &sc.KeyExpr, "a key expression such as demo/**"); err != nil {
				return err
			}
			if err := keyexpr.Validate(sc.KeyExpr); err != nil {
				hint := ""
				if c, cerr := keyexpr.Canonize(sc.KeyExpr); cerr == nil {
					hint = "; write it " + quote(c)
				}
				return d.fail(n, p, config.ErrValue, err, "%v%s", err, hint)
			}
			return nil
		}},
		{key: "strip_prefix", decode: func(p string, n *yaml.Node) error {
			stripAt = n
			if err := d.text(p, n, &sc.StripPrefix, "a plain key such as demo"); err != nil {
				return err
			}
			if err := keyexpr.ValidateKey(sc.StripPrefix); err != nil {
				return d.fail(n, p, config.ErrValue, err, "want a plain key: %v", err)
			}
			return nil
		}},
		{key: "volume", required: true, decode: func(p string, n *yaml.Node) error {
			sc.volumeAt = n
			r, err := d.resolve(p, n)
			if err != nil {
				return err
			}
			if r.Kind != yaml.MappingNode {
				return d.text(p, n, &sc.Volume, "a volume name, or {id: <volume>, <storage options>}")
			}
			sc.Options = backend.Options{}
			return d.mapping(p, n, "a storage's volume", []field{
				{key: "id", required: true, decode: func(p string, n *yaml.Node) error { return d.text(p, n, &sc.Volume, "a volume name") }},
				// read_only is accepted here too, where Zenoh's S3 and
				// filesystem backends take it.
				{key: "read_only", decode: func(p string, n *yaml.Node) error {
					var ro bool
					if err := d.boolean(p, n, &ro); err != nil {
						return err
					}
					sc.ReadOnly = sc.ReadOnly || ro
					return nil
				}},
			}, func(key string, _, v *yaml.Node) error {
				x, err := d.value(join(p, key), v)
				sc.Options[key] = x
				return err
			})
		}},
		{key: "read_only", decode: func(p string, n *yaml.Node) error {
			var ro bool
			if err := d.boolean(p, n, &ro); err != nil {
				return err
			}
			sc.ReadOnly = sc.ReadOnly || ro
			return nil
		}},
		{key: "garbage_collection", decode: func(p string, n *yaml.Node) error { return d.gc(p, n, &sc.GC) }},
	}, nil)
	if err != nil {
		return sc, err
	}
	if sc.StripPrefix != "" && !keyexpr.Includes(sc.StripPrefix+"/**", sc.KeyExpr) {
		return sc, d.fail(stripAt, join(path, "strip_prefix"), config.ErrValue, nil,
			"strip_prefix %s does not prefix every key of key_expr %s (it must be whole chunks of key_expr's literal start)",
			quote(sc.StripPrefix), quote(sc.KeyExpr))
	}
	return sc, nil
}

// check verifies what single values cannot: that storages name declared
// volumes, and that the server has somewhere to listen.
func (d *decoder) check(c *Config, root, serverNode, storagesNode *yaml.Node) error {
	names := []string{}
	for _, v := range c.Volumes {
		names = append(names, v.Name)
	}
	if !slices.Contains(names, "memory") {
		names = append(names, "memory")
	}
	slices.Sort(names)
	for _, s := range c.Storages {
		if !slices.Contains(names, s.Volume) {
			return d.fail(s.volumeAt, join(join("storages", s.Name), "volume"), config.ErrValue, nil,
				"unknown volume %s (declared: %s)", quote(s.Volume), strings.Join(names, ", "))
		}
	}
	if len(c.Storages) == 0 {
		at := storagesNode
		if at == nil {
			at = root
		}
		return d.fail(at, "storages", config.ErrMissing, nil, "no storages: a server needs at least one")
	}
	if c.Server != nil && len(c.Server.Bind) == 0 && len(c.Server.Connect) == 0 {
		return d.fail(serverNode, "server", config.ErrMissing, nil, "the server socket has no bind or connect endpoint")
	}
	return nil
}
