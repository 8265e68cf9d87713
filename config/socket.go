package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/internal/yamlx"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// Common is what every socket section has: where the socket connects and
// binds, its socket.Options, and its own auth section. The section types
// below embed it, so cfg.Server.Bind and cfg.Server.Socket.SendHWM read
// alike for every type.
//
// Socket is decoded straight from the section's keys; there is no second
// copy of the options here. Which keys a section has depends on its type
// (a radio has no receive side, a dish never lingers); see the package
// documentation for the keys and their grammar.
//
// Each section type's Build returns its socket in a socket.Ctx
// (socket.DefaultCtx() if nil) with every option set, connected and bound
// as configured, in libzmq-rs's order (options, heartbeat, mechanism, then
// connect, then bind). On error the socket is closed. BuildWith does the
// same with defaults: every option the section leaves at its zero value is
// taken from them (a program's own defaults, which a file may override).
// It also returns the endpoints the socket is attached to: the connect
// endpoints as given, then the bound ones as bound, a wildcard port
// resolved ("tcp://127.0.0.1:*" becomes "tcp://127.0.0.1:41234").
type Common struct {
	// Connect lists the endpoints to connect to (YAML: connect).
	Connect []Endpoint
	// Bind lists the endpoints to bind (YAML: bind).
	Bind []Endpoint
	// Socket are the socket's options (YAML: send_hwm, heartbeat,
	// mechanism, linger...). Its Auth, if set, is used instead of the Auth
	// section below: share one *mechanism.Auth between sockets and edit it
	// at run time, or plug in a mechanism.AuthFunc. Loading a file sets it
	// to Config.Authenticator on sockets without an auth section of their
	// own.
	Socket socket.Options
	// Auth (YAML: auth) is this socket's own auth section, built into an
	// authenticator of its own by Build. In a file, a socket without one
	// uses the file's top-level auth section, as libzmq-rs applies its
	// auth to every socket of a context.
	Auth *AuthConfig
}

// ClientConfig configures a patterns.Client. Its keys are libzmq-rs's
// ClientConfig plus zmesh's extras:
//
//	connect: [tcp://127.0.0.1:5555]
//	heartbeat: {interval: 1s, timeout: 3s, ttl: 3s}
//	send_hwm: 1000          # or send_high_water_mark
//	send_timeout: 300ms
//	recv_hwm: 1000          # or recv_high_water_mark
//	recv_timeout: 300ms
//	mechanism: {curve_client: {server: <z85>}}
//
// The zero value is a valid configuration: a CLIENT with every default.
type ClientConfig struct{ Common }

// Build returns a Client (see Common).
func (c *ClientConfig) Build(ctx *socket.Ctx) (*patterns.Client, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *ClientConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Client, []string, error) {
	return build(&c.Common, "client", ctx, defaults, patterns.NewClient)
}

func (c *ClientConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "client", bothSides)
}

// ServerConfig configures a patterns.Server. libzmq-rs gives servers the
// same keys as clients; see ClientConfig.
type ServerConfig struct{ Common }

// Build returns a Server (see Common).
func (c *ServerConfig) Build(ctx *socket.Ctx) (*patterns.Server, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *ServerConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Server, []string, error) {
	return build(&c.Common, "server", ctx, defaults, patterns.NewServer)
}

func (c *ServerConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "server", bothSides)
}

// RadioConfig configures a patterns.Radio: libzmq-rs's RadioConfig
// (connect, bind, send_hwm, send_timeout, no_drop, mechanism) plus
// heartbeat and the extras. udp endpoints are allowed in connect.
//
//	bind: [tcp://127.0.0.1:5556]
//	connect: [udp://239.1.1.1:5557]
//	send_hwm: 1000
//	no_drop: false
type RadioConfig struct {
	Common
	// NoDrop makes Transmit wait for a subscriber at its high-water mark
	// rather than drop the message for it (YAML: no_drop); Socket's
	// SendTimeout then bounds the wait.
	NoDrop bool
}

// Build returns a Radio (see Common).
func (c *RadioConfig) Build(ctx *socket.Ctx) (*patterns.Radio, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *RadioConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Radio, []string, error) {
	return build(&c.Common, "radio", ctx, defaults, func(ctx *socket.Ctx, o socket.Options) (*patterns.Radio, error) {
		return patterns.NewRadio(ctx, o, patterns.RadioOptions{NoDrop: c.NoDrop})
	})
}

func (c *RadioConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "radio", sides{send: true, linger: true, udpConnect: true}, boolField("no_drop", &c.NoDrop))
}

// DishConfig configures a patterns.Dish: libzmq-rs's DishConfig (connect,
// bind, recv_hwm, recv_timeout, groups, mechanism) plus heartbeat and the
// extras but linger (a dish never lingers; Build sets it to 0). udp
// endpoints are allowed in bind.
//
//	connect: [tcp://127.0.0.1:5556]
//	bind: [udp://239.1.1.1:5557]
//	groups: [weather, news]
type DishConfig struct {
	Common
	// Groups lists the groups to join (YAML: groups); each at most
	// patterns.MaxGroupLen bytes, no NUL, no repeats.
	Groups []string
}

// Build returns a Dish (see Common) with its groups joined
// before it connects, so every radio it reaches learns them at once.
func (c *DishConfig) Build(ctx *socket.Ctx) (*patterns.Dish, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common). A dish's linger is 0 whatever the defaults say.
func (c *DishConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Dish, []string, error) {
	return build(&c.Common, "dish", ctx, defaults, func(ctx *socket.Ctx, o socket.Options) (*patterns.Dish, error) {
		o.Linger = 0
		s, err := patterns.NewDish(ctx, o)
		if err != nil {
			return nil, err
		}
		for _, g := range c.Groups {
			if err := s.Join(g); err != nil {
				_ = s.Close()
				return nil, fmt.Errorf("join %q: %w", g, err)
			}
		}
		return s, nil
	})
}

func (c *DishConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "dish", sides{recv: true, udpBind: true}, yamlx.Field{Key: "groups",
		Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error { return groups(d, path, n, &c.Groups) }})
}

// ScatterConfig configures a patterns.Scatter: libzmq-rs's ScatterConfig
// (connect, bind, heartbeat, send_hwm, send_timeout, mechanism) plus the
// extras.
type ScatterConfig struct{ Common }

// Build returns a Scatter (see Common).
func (c *ScatterConfig) Build(ctx *socket.Ctx) (*patterns.Scatter, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *ScatterConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Scatter, []string, error) {
	return build(&c.Common, "scatter", ctx, defaults, patterns.NewScatter)
}

func (c *ScatterConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "scatter", sides{send: true, linger: true})
}

// GatherConfig configures a patterns.Gather: libzmq-rs's GatherConfig
// (connect, bind, heartbeat, recv_hwm, recv_timeout, mechanism) plus the
// extras.
type GatherConfig struct{ Common }

// Build returns a Gather (see Common).
func (c *GatherConfig) Build(ctx *socket.Ctx) (*patterns.Gather, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *GatherConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Gather, []string, error) {
	return build(&c.Common, "gather", ctx, defaults, patterns.NewGather)
}

func (c *GatherConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "gather", sides{recv: true, linger: true})
}

// Options returns the socket options the section describes, its auth
// section built into Auth unless Socket.Auth is set; Build does the rest.
func (c *Common) Options() (socket.Options, error) {
	o := c.Socket
	if o.Auth == nil && c.Auth != nil {
		a, err := c.Auth.Build()
		if err != nil {
			return socket.Options{}, err
		}
		o.Auth = a
	}
	return o, nil
}

// withDefaults returns o with every field it leaves at its zero value
// taken from def. It walks socket.Options's fields, so a field added there
// needs nothing here.
func withDefaults(o, def socket.Options) socket.Options {
	ov, dv := reflect.ValueOf(&o).Elem(), reflect.ValueOf(def)
	for i := range ov.NumField() {
		if f := ov.Field(i); f.IsZero() {
			f.Set(dv.Field(i))
		}
	}
	return o
}

// attachable is what build needs of a socket.
type attachable interface {
	Connect(string) error
	Bind(string) error
	LastEndpoint() (string, error)
	Close() error
}

// build creates a socket of a section with open, the section's options
// over defaults, then connects and binds it (libzmq-rs's order: options,
// heartbeat, mechanism, connect, bind), and returns it with the endpoints
// it is attached to (see Common). On error the socket is
// closed.
func build[S attachable](c *Common, what string, ctx *socket.Ctx, defaults socket.Options,
	open func(*socket.Ctx, socket.Options) (S, error)) (S, []string, error) {
	var zero S
	o, err := c.Options()
	if err != nil {
		return zero, nil, fmt.Errorf("config: %s: %w", what, err)
	}
	s, err := open(ctx, withDefaults(o, defaults))
	if err != nil {
		return zero, nil, fmt.Errorf("config: %s: %w", what, err)
	}
	var eps []string
	fail := func(op string, ep Endpoint, err error) (S, []string, error) {
		_ = s.Close()
		return zero, nil, fmt.Errorf("config: %s: %s %s: %w", what, op, ep, err)
	}
	for _, ep := range c.Connect {
		if err := s.Connect(string(ep)); err != nil {
			return fail("connect", ep, err)
		}
		eps = append(eps, string(ep))
	}
	for _, ep := range c.Bind {
		if err := s.Bind(string(ep)); err != nil {
			return fail("bind", ep, err)
		}
		last, err := s.LastEndpoint()
		if err != nil || last == "" {
			last = string(ep)
		}
		eps = append(eps, last)
	}
	return s, eps, nil
}

// noEndpoints drops the endpoints BuildWith returns, for Build.
func noEndpoints[S any](s S, _ []string, err error) (S, error) { return s, err }

// sides says which halves of socket.Options a socket type's section has.
type sides struct {
	send, recv bool // the send_* and recv_* keys
	linger     bool // the linger key (not a dish's)
	udpConnect bool // udp endpoints in connect (a radio's)
	udpBind    bool // udp endpoints in bind (a dish's)
	classic    bool // the classic types' keys
}

// fields returns the YAML keys of a section of socket type sock, in the
// order errors list them: connect and bind, the keys of socket.Options its
// sides have (optionKeys) with the type's own keys before zmesh's extras,
// then auth.
func (c *Common) fields(sock string, sd sides, own ...yamlx.Field) []yamlx.Field {
	fs := []yamlx.Field{
		endpointsField("connect", &c.Connect, endpointRule{connect: true, udp: sd.udpConnect, socket: sock}),
		endpointsField("bind", &c.Bind, endpointRule{udp: sd.udpBind, socket: sock}),
	}
	for _, k := range optionKeys {
		if k.key == "linger" {
			// zmesh's extras follow libzmq-rs's keys and the type's own.
			fs = append(fs, own...)
		}
		if (k.side == sendSide && !sd.send) || (k.side == recvSide && !sd.recv) || (k.side == classicSide && !sd.classic) || (k.field == "Linger" && !sd.linger) {
			continue
		}
		decode := k.decode
		fs = append(fs, yamlx.Field{Key: k.key, Aliases: k.aliases, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return decode(d, path, n, &c.Socket)
		}})
	}
	fs = append(fs, yamlx.Field{Key: "auth", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		if r, err := d.Resolve(path, n); err != nil || yamlx.IsNull(r) {
			return err
		}
		a := new(AuthConfig)
		if err := d.Fields(path, n, "an auth section", a.fields()); err != nil {
			return err
		}
		c.Auth = a
		return nil
	}})
	return fs
}

var bothSides = sides{send: true, recv: true, linger: true}

// decode decodes the section of socket type sock at path (see fields).
func (c *Common) decode(d *yamlx.Decoder, path string, n *yaml.Node, sock string, sd sides, own ...yamlx.Field) error {
	return d.Fields(path, n, "a "+sock+" configuration", c.fields(sock, sd, own...))
}

// groups decodes a dish's groups: text of at most patterns.MaxGroupLen
// bytes, no NUL, each once (Dish.Join refuses a second join).
func groups(d *yamlx.Decoder, path string, n *yaml.Node, dst *[]string) error {
	var gs []string
	seen := make(map[string]int)
	err := d.Seq(path, n, "group names", func(path string, item *yaml.Node) error {
		var g string
		if err := d.Text(path, item, &g, "a group name"); err != nil {
			return err
		}
		switch {
		case len(g) > patterns.MaxGroupLen:
			return d.Errorf(item, path, ErrValue, socket.ErrInvalidInput, "want a group of at most %d bytes, got %d", patterns.MaxGroupLen, len(g))
		case strings.IndexByte(g, 0) >= 0:
			return d.Errorf(item, path, ErrValue, socket.ErrInvalidInput, "a group cannot contain a NUL byte")
		}
		if i, dup := seen[g]; dup {
			return d.Errorf(item, path, ErrConflict, nil, "group %s is already listed (item %d)", yamlx.Quote(g), i)
		}
		seen[g] = len(gs)
		gs = append(gs, g)
		return nil
	})
	*dst = gs
	return err
}
