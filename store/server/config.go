package server

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/internal/yamlx"
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
//	requests: {workers: 16, query_workers: 4, query_queue: 256, max_value_size: 16MiB, max_stream_size: 4GiB, upload_idle: 1h,
//	           max_drift: 500ms, timeout: 30s, stall_timeout: 1s}
//	garbage_collection: {period: 30s, lifespan: 24h}  # defaults for every storage
//	admin:    {volume_root: /srv/zmesh}        # where volumes added at run time may live
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
	// section) binds store.DefaultEndpoint.
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
	// Admin limits runtime management (Server.AddVolume, the HTTP admin
	// API).
	Admin AdminConfig
	// Volumes are the backend instances, in file order.
	Volumes []VolumeConfig
	// Storages are the storages, in file order.
	Storages []StorageConfig
	// Name is the file the configuration came from, for messages.
	Name string
}

// RequestsConfig is the requests section (see Options for each field).
type RequestsConfig struct {
	Workers       int           // YAML workers
	QueryWorkers  int           // YAML query_workers
	QueryQueue    int           // YAML query_queue
	MaxValueSize  int           // YAML max_value_size: bytes, or "16MiB", "1MB"...
	MaxStreamSize int           // YAML max_stream_size: the largest streamed value, "4GiB" by default
	UploadIdle    time.Duration // YAML upload_idle: how long a partial streamed put is kept
	MaxDrift      time.Duration // YAML max_drift: a duration, or "off"
	Timeout       time.Duration // YAML timeout
	StallTimeout  time.Duration // YAML stall_timeout
}

// AdminConfig is the admin section.
type AdminConfig struct {
	VolumeRoot string // YAML volume_root: see Options.VolumeRoot
}

// GCConfig is a garbage_collection section: durations as "30s" or "24h"
// (package config's grammar: a number needs a unit).
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
// one storage for every key on an engine volume (package
// store/backend/engine) under ./zmesh-data, requests on
// store.DefaultEndpoint and the change feed on port 7448. (zmesh serve
// serves a ./zmesh-data written in the fs layout of earlier versions as an
// fs volume instead; see cmd/zmesh.)
const DefaultConfigYAML = `# zmesh serve's built-in configuration (zmesh serve --print-config)
server:
  bind: [tcp://127.0.0.1:7447]
radio:
  bind: [tcp://127.0.0.1:7448]
volumes:
  data:
    kind: engine
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
	root, err := yamlx.ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{Decoder: yamlx.Decoder{File: name}}
	c := &Config{Name: name}
	if root == nil {
		root = &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}
	}
	if err := d.config(root, c); err != nil {
		return nil, err
	}
	return c, nil
}

// decoder decodes one file with package config's Decoder: the socket and
// auth sections by package config's own rules, the rest by the rules
// below (Zenoh's, where they differ), with errors of the same form.
type decoder struct {
	yamlx.Decoder
}

// quote quotes a value for a message, as package config does.
func quote(s string) string { return yamlx.Quote(s) }

// field is a key whose value decode decodes (store's fields need no
// Decoder argument: they close over theirs).
func field(key string, required bool, decode func(path string, n *yaml.Node) error) yamlx.Field {
	return yamlx.Field{Key: key, Required: required, Decode: func(_ *yamlx.Decoder, path string, n *yaml.Node) error {
		return decode(path, n)
	}}
}

// mapping decodes the mapping n by fields: an unknown key is an error
// that lists the known ones, unless rest is set and takes it (a backend's
// options). Merge keys (<<) are refused in these sections.
func (d *decoder) mapping(path string, n *yaml.Node, what string, fields []yamlx.Field, rest func(path, key string, k, v *yaml.Node) error) error {
	return d.Mapping(path, n, yamlx.Mapping{What: what, Fields: fields, Rest: rest, NoMerge: true, Named: true})
}

// entries calls each for every key and value of the mapping n, in order,
// refusing duplicate keys.
func (d *decoder) entries(path string, n *yaml.Node, what string, each func(path, name string, k, v *yaml.Node) error) error {
	return d.mapping(path, n, what, nil, each)
}

// text decodes a non-empty string.
func (d *decoder) text(path string, n *yaml.Node, dst *string, want string) error {
	text, tag, n, err := d.Scalar(path, n, want)
	if err != nil {
		return err
	}
	if tag == "!!null" || text == "" {
		return d.Errorf(n, path, config.ErrValue, nil, "want %s, got nothing", want)
	}
	if tag != "!!str" {
		return d.Errorf(n, path, config.ErrType, nil, "want %s, got %s (quote it to make it text)", want, quote(text))
	}
	*dst = text
	return nil
}

// count decodes a non-negative int (that fits libzmq's int); null leaves
// dst alone.
func (d *decoder) count(path string, n *yaml.Node, dst *int, want string) error {
	return d.Int(path, n, dst, 0, math.MaxInt32, want)
}

// duration decodes a duration in package config's grammar ("30s", "1h";
// a bare number is refused, with a message saying to add a unit); with off
// set, "off" gives the value off. 0 is refused: leaving the key out gives
// the default. Null leaves dst alone.
func (d *decoder) duration(path string, n *yaml.Node, dst *time.Duration, off *time.Duration) error {
	spec := yamlx.DurationSpec{Positive: true, ZeroHint: " (leave the key out for the default)"}
	if off != nil {
		spec.Word, spec.WordValue = "off", *off
	}
	return d.Duration(path, n, dst, spec)
}

var sizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}

var sizePattern = regexp.MustCompile(`^\s*([0-9]+)\s*([A-Za-z]*)\s*$`)

// size decodes a byte count: an integer, or a number with a unit (KB, MB,
// GB, KiB, MiB, GiB; case does not matter). Null leaves dst alone.
func (d *decoder) size(path string, n *yaml.Node, dst *int) error {
	return d.sizeUpTo(path, n, dst, math.MaxInt32, "2GiB")
}

// sizeUpTo decodes a size of at most limit bytes (named limitText).
func (d *decoder) sizeUpTo(path string, n *yaml.Node, dst *int, limit int64, limitText string) error {
	want := "a size in bytes such as 1048576 or 16MiB"
	text, tag, n, err := d.Scalar(path, n, want)
	if err != nil || tag == "!!null" {
		return err
	}
	m := sizePattern.FindStringSubmatch(text)
	if m == nil || (tag != "!!int" && tag != "!!str") {
		return d.Errorf(n, path, config.ErrValue, nil, "want %s, got %s", want, quote(text))
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	v, perr := strconv.ParseInt(m[1], 10, 64)
	if !ok || perr != nil || v <= 0 || v > limit/unit {
		return d.Errorf(n, path, config.ErrValue, nil, "want %s (at most %s), got %s", want, limitText, quote(text))
	}
	*dst = int(v * unit)
	return nil
}

// value decodes a backend option: a scalar typed as YAML types it
// (integers as int, floats as float64, true/false as bool, text as
// string), a list as []any, a mapping as backend.Options.
func (d *decoder) value(path string, n *yaml.Node) (any, error) {
	n, err := d.Resolve(path, n)
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.MappingNode:
		out := backend.Options{}
		err := d.entries(path, n, "options", func(path, name string, _, v *yaml.Node) error {
			x, err := d.value(path, v)
			out[name] = x
			return err
		})
		return out, err
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, it := range n.Content {
			x, err := d.value(yamlx.Index(path, i), it)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	}
	text, tag, n, err := d.Scalar(path, n, "a value")
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
		return nil, d.Errorf(n, path, config.ErrValue, nil, "cannot read %s: %v", quote(text), err)
	}
	return v, nil
}

// section is a socket or auth section, decoded with package config's
// rules into the value made by set, unless it is null (absent).
func (d *decoder) section(key string, set func(n *yaml.Node) config.Section) yamlx.Field {
	return field(key, false, func(path string, n *yaml.Node) error {
		r, err := d.Resolve(path, n)
		if err != nil || yamlx.IsNull(r) {
			return err
		}
		return config.DecodeSection(&d.Decoder, path, n, set(n))
	})
}

// config decodes the whole file into c and checks how its parts refer to
// each other.
func (d *decoder) config(root *yaml.Node, c *Config) error {
	var serverNode, storagesNode *yaml.Node
	err := d.mapping("", root, "a storage server configuration", []yamlx.Field{
		d.section("server", func(n *yaml.Node) config.Section {
			serverNode = n
			c.Server = new(config.ServerConfig)
			return c.Server
		}),
		d.section("radio", func(*yaml.Node) config.Section { c.Radio = new(config.RadioConfig); return c.Radio }),
		d.section("gather", func(*yaml.Node) config.Section { c.Gather = new(config.GatherConfig); return c.Gather }),
		d.section("auth", func(*yaml.Node) config.Section { c.Auth = new(config.AuthConfig); return c.Auth }),
		field("requests", false, func(path string, n *yaml.Node) error {
			r := &c.Requests
			off := time.Duration(-1)
			return d.mapping(path, n, "the requests section", []yamlx.Field{
				field("workers", false, func(p string, n *yaml.Node) error { return d.count(p, n, &r.Workers, "a number of goroutines") }),
				field("query_workers", false, func(p string, n *yaml.Node) error {
					return d.count(p, n, &r.QueryWorkers, "a number of goroutines")
				}),
				field("query_queue", false, func(p string, n *yaml.Node) error { return d.count(p, n, &r.QueryQueue, "a number of requests") }),
				field("max_value_size", false, func(p string, n *yaml.Node) error { return d.size(p, n, &r.MaxValueSize) }),
				field("max_stream_size", false, func(p string, n *yaml.Node) error { return d.sizeUpTo(p, n, &r.MaxStreamSize, 1<<50, "1PiB") }),
				field("upload_idle", false, func(p string, n *yaml.Node) error { return d.duration(p, n, &r.UploadIdle, nil) }),
				field("max_drift", false, func(p string, n *yaml.Node) error { return d.duration(p, n, &r.MaxDrift, &off) }),
				field("timeout", false, func(p string, n *yaml.Node) error { return d.duration(p, n, &r.Timeout, nil) }),
				field("stall_timeout", false, func(p string, n *yaml.Node) error { return d.duration(p, n, &r.StallTimeout, nil) }),
			}, nil)
		}),
		field("garbage_collection", false, func(path string, n *yaml.Node) error {
			return d.gc(path, n, &c.GarbageCollection)
		}),
		field("admin", false, func(path string, n *yaml.Node) error {
			return d.mapping(path, n, "the admin section", []yamlx.Field{
				field("volume_root", false, func(p string, n *yaml.Node) error {
					return d.text(p, n, &c.Admin.VolumeRoot, "a directory")
				}),
			}, nil)
		}),
		field("volumes", false, func(path string, n *yaml.Node) error {
			return d.entries(path, n, "the volumes section", func(path, name string, k, v *yaml.Node) error {
				vc, err := d.volume(path, name, k, v)
				c.Volumes = append(c.Volumes, vc)
				return err
			})
		}),
		field("storages", true, func(path string, n *yaml.Node) error {
			storagesNode = n
			return d.entries(path, n, "the storages section", func(path, name string, k, v *yaml.Node) error {
				sc, err := d.storage(path, name, k, v)
				c.Storages = append(c.Storages, sc)
				return err
			})
		}),
	}, nil)
	if err != nil {
		return err
	}
	return d.check(c, root, serverNode, storagesNode)
}

func (d *decoder) gc(path string, n *yaml.Node, g *GCConfig) error {
	return d.mapping(path, n, "a garbage_collection section", []yamlx.Field{
		field("period", false, func(p string, n *yaml.Node) error { return d.duration(p, n, &g.Period, nil) }),
		field("lifespan", false, func(p string, n *yaml.Node) error { return d.duration(p, n, &g.Lifespan, nil) }),
	}, nil)
}

// options returns a mapping's rest function that decodes the keys it is
// given as backend options into opts.
func (d *decoder) options(opts backend.Options) func(path, key string, _, v *yaml.Node) error {
	return func(path, key string, _, v *yaml.Node) error {
		x, err := d.value(path, v)
		opts[key] = x
		return err
	}
}

// volume decodes one volume: kind (default: the volume's name) and the
// backend's volume options.
func (d *decoder) volume(path, name string, k, n *yaml.Node) (VolumeConfig, error) {
	vc := VolumeConfig{Name: name, Kind: name, Options: backend.Options{}, line: k.Line, column: k.Column}
	kindAt, kindPath := k, path
	err := d.mapping(path, n, "a volume", []yamlx.Field{
		field("kind", false, func(p string, n *yaml.Node) error {
			kindAt, kindPath = n, p
			return d.text(p, n, &vc.Kind, "a volume kind such as fs")
		}),
	}, d.options(vc.Options))
	if err != nil {
		return vc, err
	}
	if !slices.Contains(backend.Kinds(), vc.Kind) {
		return vc, d.Errorf(kindAt, kindPath, config.ErrValue, backend.ErrUnknownKind, "unknown volume kind %s (known: %s)",
			quote(vc.Kind), strings.Join(backend.Kinds(), ", "))
	}
	return vc, nil
}

// storage decodes one storage.
func (d *decoder) storage(path, name string, k, n *yaml.Node) (StorageConfig, error) {
	sc := StorageConfig{Name: name, line: k.Line, column: k.Column}
	var stripAt *yaml.Node
	if err := validName(name); err != nil {
		return sc, d.Errorf(k, path, config.ErrValue, nil, "%v", err)
	}
	// read_only is accepted in the volume's map form too, where Zenoh's S3
	// and filesystem backends take it; either sets it.
	readOnly := field("read_only", false, func(p string, n *yaml.Node) error {
		var ro bool
		if err := d.Bool(p, n, &ro); err != nil {
			return err
		}
		sc.ReadOnly = sc.ReadOnly || ro
		return nil
	})
	err := d.mapping(path, n, "a storage", []yamlx.Field{
		field("key_expr", true, func(p string, n *yaml.Node) error {
			if err := d.text(p, n, &sc.KeyExpr, "a key expression such as demo/**"); err != nil {
				return err
			}
			if err := keyexpr.Validate(sc.KeyExpr); err != nil {
				hint := ""
				if c, cerr := keyexpr.Canonize(sc.KeyExpr); cerr == nil {
					hint = "; write it " + quote(c)
				}
				return d.Errorf(n, p, config.ErrValue, err, "%v%s", err, hint)
			}
			return nil
		}),
		field("strip_prefix", false, func(p string, n *yaml.Node) error {
			stripAt = n
			if err := d.text(p, n, &sc.StripPrefix, "a plain key such as demo"); err != nil {
				return err
			}
			if err := keyexpr.ValidateKey(sc.StripPrefix); err != nil {
				return d.Errorf(n, p, config.ErrValue, err, "want a plain key: %v", err)
			}
			return nil
		}),
		field("volume", true, func(p string, n *yaml.Node) error {
			sc.volumeAt = n
			r, err := d.Resolve(p, n)
			if err != nil {
				return err
			}
			if r.Kind != yaml.MappingNode {
				return d.text(p, n, &sc.Volume, "a volume name, or {id: <volume>, <storage options>}")
			}
			sc.Options = backend.Options{}
			return d.mapping(p, n, "a storage's volume", []yamlx.Field{
				field("id", true, func(p string, n *yaml.Node) error { return d.text(p, n, &sc.Volume, "a volume name") }),
				readOnly,
			}, d.options(sc.Options))
		}),
		readOnly,
		field("garbage_collection", false, func(p string, n *yaml.Node) error { return d.gc(p, n, &sc.GC) }),
	}, nil)
	if err != nil {
		return sc, err
	}
	if sc.StripPrefix != "" && !keyexpr.Includes(sc.StripPrefix+"/**", sc.KeyExpr) {
		return sc, d.Errorf(stripAt, yamlx.Join(path, "strip_prefix"), config.ErrValue, nil,
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
			return d.Errorf(s.volumeAt, yamlx.Join(yamlx.Join("storages", s.Name), "volume"), config.ErrValue, nil,
				"unknown volume %s (declared: %s)", quote(s.Volume), strings.Join(names, ", "))
		}
	}
	if len(c.Storages) == 0 {
		at := storagesNode
		if at == nil {
			at = root
		}
		return d.Errorf(at, "storages", config.ErrMissing, nil, "no storages: a server needs at least one")
	}
	if c.Server != nil && len(c.Server.Bind) == 0 && len(c.Server.Connect) == 0 {
		return d.Errorf(serverNode, "server", config.ErrMissing, nil, "the server socket has no bind or connect endpoint")
	}
	return nil
}
