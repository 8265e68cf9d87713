package config

import (
	"fmt"
	"github.com/zmesh/zmesh/internal/yamlx"
	"os"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/mechanism"
)

// Config is a whole configuration file. Every section is optional:
//
//	ctx:     {...}   # CtxConfig
//	auth:    {...}   # AuthConfig, for every socket below without its own
//	client:  {...}   # ClientConfig
//	server:  {...}   # ServerConfig
//	radio:   {...}   # RadioConfig
//	dish:    {...}   # DishConfig
//	scatter: {...}   # ScatterConfig
//	gather:  {...}   # GatherConfig
//	req: {...}, rep, dealer, router, pub, sub, xpub, xsub, push, pull,
//	pair             # the classic types (Classic)
//	sockets:         # named sockets, each tagged by its type
//	  frontend: {server: {...}}
//	  feed:     {radio: {...}}
//
// The one-per-type sections are the shape of libzmq-rs's examples (whose
// programs read {auth, client, server} files); sockets holds any number of
// named ones, each written as libzmq-rs's ConfigType.
type Config struct {
	// Ctx is libzmq-rs's context section (YAML: ctx); see CtxConfig.
	Ctx *CtxConfig
	// Auth is the authenticator's configuration (YAML: auth).
	Auth *AuthConfig
	// Client, Server, Radio, Dish, Scatter and Gather are one socket of
	// each type (YAML: client, server, ...); nil when absent.
	Client  *ClientConfig
	Server  *ServerConfig
	Radio   *RadioConfig
	Dish    *DishConfig
	Scatter *ScatterConfig
	Gather  *GatherConfig
	// Classic holds one socket of each classic type (YAML: req, rep, ...).
	Classic
	// Sockets holds named sockets (YAML: sockets).
	Sockets map[string]*SocketConfig
	// Authenticator is Auth built by Load or Parse (nil without an auth
	// section): one authenticator shared by every socket of the file that
	// has no auth section of its own. Edit its lists at run time to change
	// who those sockets admit.
	Authenticator *mechanism.Auth
}

// SocketConfig is one socket of any type, written as libzmq-rs's ConfigType
// enum: a mapping with exactly one key naming the type, e.g.
// {server: {bind: [tcp://127.0.0.1:5555]}}. Exactly one field is set.
type SocketConfig struct {
	Client  *ClientConfig
	Server  *ServerConfig
	Radio   *RadioConfig
	Dish    *DishConfig
	Scatter *ScatterConfig
	Gather  *GatherConfig
	Classic
}

// Type names the socket's type ("client", "server", ...), or "" if no field
// is set.
func (s *SocketConfig) Type() string {
	typ, _ := s.set()
	return typ
}

// common returns the Common part of the socket, whatever its type; nil if
// no field is set.
func (s *SocketConfig) common() *Common {
	_, c := s.set()
	return c
}

// set returns the type and the Common part of the field that is set (the
// first, should there be more); "" and nil if none is.
func (s *SocketConfig) set() (typ string, c *Common) {
	switch {
	case s.Client != nil:
		return "client", &s.Client.Common
	case s.Server != nil:
		return "server", &s.Server.Common
	case s.Radio != nil:
		return "radio", &s.Radio.Common
	case s.Dish != nil:
		return "dish", &s.Dish.Common
	case s.Scatter != nil:
		return "scatter", &s.Scatter.Common
	case s.Gather != nil:
		return "gather", &s.Gather.Common
	}
	typ, c, _ = s.Classic.set()
	return typ, c
}

// Loader loads configuration files. The zero value reads the process
// environment for ${VAR} references; Load and Parse use the zero value.
type Loader struct {
	// LookupEnv, if set, replaces os.LookupEnv for ${VAR} references.
	LookupEnv func(name string) (string, bool)
}

// decoder returns a Decoder for the file name that reads the environment
// through l.LookupEnv.
func (l *Loader) decoder(name string) *yamlx.Decoder {
	d := &yamlx.Decoder{File: name}
	if l != nil {
		d.LookupEnv = l.LookupEnv
	}
	return d
}

// Load reads the configuration file at path (see Loader.Load).
func Load(path string) (*Config, error) { return (*Loader)(nil).Load(path) }

// Parse decodes a configuration held in data; name is used in errors (see
// Loader.Parse).
func Parse(name string, data []byte) (*Config, error) { return (*Loader)(nil).Parse(name, data) }

// Load reads the configuration file at path. Errors are *Error values
// naming path, line and column.
func (l *Loader) Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return l.Parse(path, data)
}

// Parse decodes a configuration held in data, strictly: an unknown key, a
// value of the wrong type or out of range, or anything else this package
// documents as invalid fails with an *Error naming name, the line and the
// column. It then builds the auth section into Config.Authenticator and
// hands it to every socket without an auth section of its own.
func (l *Loader) Parse(name string, data []byte) (*Config, error) {
	c := new(Config)
	if err := l.Unmarshal(name, data, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Section is a type that a configuration, or a part of one, decodes into:
// *Config, *ClientConfig, *ServerConfig, *RadioConfig, *DishConfig,
// *ScatterConfig, *GatherConfig, *SocketConfig, *AuthConfig or *CtxConfig.
type Section interface {
	decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error
}

// Unmarshal decodes a YAML document into one section, as Parse does for a
// whole file: for instance a file that holds just a ServerConfig.
func Unmarshal(name string, data []byte, into Section) error {
	return (*Loader)(nil).Unmarshal(name, data, into)
}

// Unmarshal decodes a YAML document into one section (see the package
// function Unmarshal).
func (l *Loader) Unmarshal(name string, data []byte, into Section) error {
	root, err := yamlx.ParseYAML(name, data)
	if err != nil {
		return err
	}
	if root == nil {
		root = &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}
	}
	return into.decodeNode(l.decoder(name), "", root)
}

// unmarshalYAML implements yaml.Unmarshaler for every section, so a section
// can sit inside a struct that yaml.v3 decodes. Errors then carry a line
// and column but no file name; ${VAR} reads the process environment.
func unmarshalYAML(s Section, n *yaml.Node) error {
	return s.decodeNode((*Loader)(nil).decoder(""), "", n)
}

func (c *Config) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	fields := []yamlx.Field{
		section("ctx", func() Section { c.Ctx = new(CtxConfig); return c.Ctx }),
		section("auth", func() Section { c.Auth = new(AuthConfig); return c.Auth }),
	}
	fields = append(fields, socketSections(
		func(x *ClientConfig) { c.Client = x }, func(x *ServerConfig) { c.Server = x },
		func(x *RadioConfig) { c.Radio = x }, func(x *DishConfig) { c.Dish = x },
		func(x *ScatterConfig) { c.Scatter = x }, func(x *GatherConfig) { c.Gather = x })...)
	fields = append(fields, c.Classic.fields()...)
	fields = append(fields, yamlx.Field{Key: "sockets", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		return namedSockets(d, path, n, &c.Sockets)
	}})
	if err := d.Fields(path, n, "a configuration", fields); err != nil {
		return err
	}
	return c.shareAuth()
}

// section is a key whose value is a Section, created by make unless the
// value is null (an absent section).
func section(key string, make func() Section) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		if r, err := d.Resolve(path, n); err != nil || yamlx.IsNull(r) {
			return err
		}
		return make().decodeNode(d, path, n)
	}}
}

// socketSections are the keys client, server, ... each storing its
// decoded section through its setter.
func socketSections(client func(*ClientConfig), server func(*ServerConfig), radio func(*RadioConfig),
	dish func(*DishConfig), scatter func(*ScatterConfig), gather func(*GatherConfig)) []yamlx.Field {
	return []yamlx.Field{
		section("client", func() Section { x := new(ClientConfig); client(x); return x }),
		section("server", func() Section { x := new(ServerConfig); server(x); return x }),
		section("radio", func() Section { x := new(RadioConfig); radio(x); return x }),
		section("dish", func() Section { x := new(DishConfig); dish(x); return x }),
		section("scatter", func() Section { x := new(ScatterConfig); scatter(x); return x }),
		section("gather", func() Section { x := new(GatherConfig); gather(x); return x }),
	}
}

// shareAuth builds the file's auth section and gives it to every socket
// without an auth section of its own.
func (c *Config) shareAuth() error {
	c.Authenticator = nil
	if c.Auth == nil {
		return nil
	}
	a, err := c.Auth.Build()
	if err != nil {
		return err
	}
	c.Authenticator = a
	all := []*SocketConfig{{Client: c.Client}, {Server: c.Server}, {Radio: c.Radio}, {Dish: c.Dish}, {Scatter: c.Scatter}, {Gather: c.Gather}}
	names := make([]string, 0, len(c.Sockets))
	for name := range c.Sockets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		all = append(all, c.Sockets[name])
	}
	commons := c.Classic.commons()
	for _, s := range all {
		if x := s.common(); x != nil {
			commons = append(commons, x)
		}
	}
	for _, x := range commons {
		if x.Auth == nil && x.Socket.Auth == nil {
			x.Socket.Auth = a
		}
	}
	return nil
}

// namedSockets decodes sockets: {name: {type: {...}}, ...}.
func namedSockets(d *yamlx.Decoder, path string, n *yaml.Node, dst *map[string]*SocketConfig) error {
	r, err := d.Resolve(path, n)
	if err != nil || yamlx.IsNull(r) {
		return err
	}
	if r.Kind != yaml.MappingNode {
		return d.Errorf(r, path, ErrType, nil, "want named sockets (a mapping of name: {type: {...}}), got %s", yamlx.Describe(r, r.Value))
	}
	out := make(map[string]*SocketConfig)
	err = d.Mapping(path, r, yamlx.Mapping{What: "named sockets", Rest: func(path, name string, _, v *yaml.Node) error {
		s := new(SocketConfig)
		if err := s.decodeNode(d, path, v); err != nil {
			return err
		}
		out[name] = s
		return nil
	}})
	if err != nil {
		return err
	}
	*dst = out
	return nil
}

func (s *SocketConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	*s = SocketConfig{}
	r, err := d.Resolve(path, n)
	if err != nil {
		return err
	}
	const want = "one socket, tagged by its type ({client: {...}}, {server: {...}}, ...)"
	if r.Kind != yaml.MappingNode || len(r.Content) != 2 {
		got := yamlx.Describe(r, r.Value)
		if r.Kind == yaml.MappingNode {
			got = fmt.Sprintf("%d keys", len(r.Content)/2)
		}
		return d.Errorf(r, path, ErrType, nil, "want %s, got %s", want, got)
	}
	err = d.Fields(path, r, "one socket", append(socketSections(
		func(x *ClientConfig) { s.Client = x }, func(x *ServerConfig) { s.Server = x },
		func(x *RadioConfig) { s.Radio = x }, func(x *DishConfig) { s.Dish = x },
		func(x *ScatterConfig) { s.Scatter = x }, func(x *GatherConfig) { s.Gather = x }), s.Classic.fields()...))
	if err != nil {
		return err
	}
	if s.Type() == "" {
		return d.Errorf(r, path, ErrType, nil, "want %s, got no settings (write {%s: {}} for every default)", want, r.Content[0].Value)
	}
	_, _, set := s.Classic.set()
	for _, p := range []bool{s.Client != nil, s.Server != nil, s.Radio != nil, s.Dish != nil, s.Scatter != nil, s.Gather != nil} {
		if p {
			set++
		}
	}
	if set > 1 {
		return d.Errorf(r, path, ErrType, nil, "want %s, got %d socket types", want, set)
	}
	return nil
}

func (a *AuthConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return d.Fields(path, n, "an auth section", a.fields())
}

func (c *CtxConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return d.Fields(path, n, "a ctx section", c.fields())
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's strict
// rules, so a Config can sit inside a struct that yaml.v3 decodes.
func (c *Config) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *ClientConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *ServerConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *RadioConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *DishConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *ScatterConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *GatherConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (s *SocketConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(s, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (a *AuthConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(a, n) }

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *CtxConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// DecodeSection decodes n, at path, into one of this package's sections
// with d: d's file, environment and limits, and errors whose paths start
// with path. It is for the packages of this module that put these
// sections beside sections of their own in one file (store/server), so
// that the whole file is decoded by one Decoder with one grammar. A null n
// decodes as the section's defaults; to leave an optional section out when
// its value is null, check yamlx.IsNull on the resolved node first.
func DecodeSection(d *yamlx.Decoder, path string, n *yaml.Node, into Section) error {
	return into.decodeNode(d, path, n)
}
