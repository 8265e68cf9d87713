package config

import (
	"fmt"
	"github.com/zmesh/zmesh/internal/yamlx"
	"math"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// ClientConfig configures a patterns.Client. Its fields are libzmq-rs's
// ClientConfig (spec §9.2) plus zmesh's Extras:
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
type ClientConfig struct {
	// Connect lists the endpoints to connect to (YAML: connect).
	Connect []Endpoint
	// Bind lists the endpoints to bind (YAML: bind).
	Bind []Endpoint
	// Heartbeat turns on ZMTP PING/PONG (YAML: heartbeat, see
	// socket.Heartbeat). In YAML its interval is required and positive;
	// timeout and ttl may be null (timeout then equals the interval, and no
	// TTL is sent).
	Heartbeat socket.Heartbeat
	// SendHWM bounds each peer's outgoing queue (YAML: send_hwm or
	// send_high_water_mark), with socket.Options's meaning: 0 is the
	// default (1000), socket.Unlimited lifts the bound. In YAML, as in
	// libzmq, 0 means no limit and a missing value the default.
	SendHWM int
	// SendTimeout bounds a blocking send (YAML: send_timeout); 0 (YAML
	// null or absent) means no bound.
	SendTimeout time.Duration
	// RecvHWM bounds each peer's incoming queue (YAML: recv_hwm or
	// recv_high_water_mark), like SendHWM.
	RecvHWM int
	// RecvTimeout bounds a blocking receive (YAML: recv_timeout), like
	// SendTimeout.
	RecvTimeout time.Duration
	// Mechanism secures the socket's tcp and ipc connections (YAML:
	// mechanism); nil means NULL.
	Mechanism mechanism.Mechanism
	Extras
}

// ServerConfig configures a patterns.Server. libzmq-rs gives servers the
// same fields as clients; see ClientConfig.
type ServerConfig ClientConfig

// RadioConfig configures a patterns.Radio: libzmq-rs's RadioConfig plus
// Heartbeat and Extras.
//
//	bind: [tcp://127.0.0.1:5556]
//	connect: [udp://239.1.1.1:5557]
//	send_hwm: 1000
//	no_drop: false
type RadioConfig struct {
	// Connect lists the endpoints to connect to (YAML: connect); udp
	// endpoints are allowed here.
	Connect []Endpoint
	// Bind lists the endpoints to bind (YAML: bind).
	Bind []Endpoint
	// Heartbeat: see ClientConfig.Heartbeat (YAML: heartbeat; a zmesh
	// extra: libzmq-rs has no heartbeat on radios and dishes, though their
	// tcp links benefit equally).
	Heartbeat socket.Heartbeat
	// SendHWM: see ClientConfig.SendHWM.
	SendHWM int
	// SendTimeout: see ClientConfig.SendTimeout; with NoDrop it bounds how
	// long Transmit waits for a full subscriber.
	SendTimeout time.Duration
	// NoDrop makes Transmit wait for a subscriber at its high-water mark
	// rather than drop the message for it (YAML: no_drop).
	NoDrop bool
	// Mechanism: see ClientConfig.Mechanism.
	Mechanism mechanism.Mechanism
	Extras
}

// DishConfig configures a patterns.Dish: libzmq-rs's DishConfig plus
// Heartbeat and Extras.
//
//	connect: [tcp://127.0.0.1:5556]
//	bind: [udp://239.1.1.1:5557]
//	groups: [weather, news]
type DishConfig struct {
	// Connect lists the endpoints to connect to (YAML: connect).
	Connect []Endpoint
	// Bind lists the endpoints to bind (YAML: bind); udp endpoints are
	// allowed here.
	Bind []Endpoint
	// Heartbeat: see RadioConfig.Heartbeat.
	Heartbeat socket.Heartbeat
	// RecvHWM: see ClientConfig.RecvHWM.
	RecvHWM int
	// RecvTimeout: see ClientConfig.RecvTimeout.
	RecvTimeout time.Duration
	// Groups lists the groups to join (YAML: groups); each at most
	// patterns.MaxGroupLen bytes, no NUL, no repeats.
	Groups []string
	// Mechanism: see ClientConfig.Mechanism.
	Mechanism mechanism.Mechanism
	// Extras holds zmesh's extra settings. A dish's linger is always 0, so
	// its YAML has no linger key.
	Extras
}

// ScatterConfig configures a patterns.Scatter: libzmq-rs's ScatterConfig
// (connect, bind, heartbeat, send_hwm, send_timeout, mechanism) plus
// Extras. See ClientConfig for each field.
type ScatterConfig struct {
	Connect     []Endpoint
	Bind        []Endpoint
	Heartbeat   socket.Heartbeat
	SendHWM     int
	SendTimeout time.Duration
	Mechanism   mechanism.Mechanism
	Extras
}

// GatherConfig configures a patterns.Gather: libzmq-rs's GatherConfig
// (connect, bind, heartbeat, recv_hwm, recv_timeout, mechanism) plus
// Extras. See ClientConfig for each field.
type GatherConfig struct {
	Connect     []Endpoint
	Bind        []Endpoint
	Heartbeat   socket.Heartbeat
	RecvHWM     int
	RecvTimeout time.Duration
	Mechanism   mechanism.Mechanism
	Extras
}

// Extras are zmesh's socket settings beyond libzmq-rs's configuration, all
// optional; each means what the socket.Options field of the same name
// means. In YAML:
//
//	linger: 1s                  # null or 0: discard unsent messages on close; "forever": wait
//	reconnect_interval: 100ms   # null: 100ms; "off": never reconnect
//	reconnect_interval_max: 5s  # double the wait after each failure, up to this
//	connect_timeout: 2s         # bound one TCP connect (null: the system's)
//	handshake_timeout: 10s      # null: 30s; "off": no bound
//	max_msg_size: 1048576       # bytes; null or 0: no limit
//	max_connections: 100        # null or 0: no cap
//	send_buffer: 262144         # SO_SNDBUF in bytes; null or 0: the system's
//	recv_buffer: 4194304        # SO_RCVBUF in bytes; null or 0: the system's
//	immediate: false            # queue only for peers whose handshake is done
//	auth: {...}                 # this socket's own AuthConfig
type Extras struct {
	// Linger (YAML: linger) is how long Close waits to write queued
	// messages: 0 discards them (libzmq-rs's default), negative waits
	// without bound.
	Linger time.Duration
	// ReconnectInterval (YAML: reconnect_interval): 0 is 100ms, negative
	// turns reconnection off.
	ReconnectInterval time.Duration
	// ReconnectIntervalMax (YAML: reconnect_interval_max): if above
	// ReconnectInterval, the wait doubles after each failure up to it.
	ReconnectIntervalMax time.Duration
	// ConnectTimeout (YAML: connect_timeout) bounds one TCP connect; 0
	// leaves it to the system.
	ConnectTimeout time.Duration
	// HandshakeTimeout (YAML: handshake_timeout): 0 is 30s, negative means
	// no bound.
	HandshakeTimeout time.Duration
	// MaxMsgSize (YAML: max_msg_size) refuses larger messages and closes
	// the connection of a peer that announces one; 0 means no limit.
	MaxMsgSize int64
	// MaxConnections (YAML: max_connections) caps the connections a socket
	// accepts at once; 0 means no cap.
	MaxConnections int
	// SendBuffer and RecvBuffer (YAML: send_buffer, recv_buffer) are the
	// kernel's socket buffer sizes in bytes; 0 leaves the system's.
	SendBuffer int
	RecvBuffer int
	// Immediate (YAML: immediate) queues messages only for connected peers
	// whose handshake has completed.
	Immediate bool
	// Auth (YAML: auth) authorises this socket's peers. In a file, a socket
	// without its own auth section uses the file's top-level one (through
	// Authenticator), as libzmq-rs applies its auth to every socket of a
	// context.
	Auth *AuthConfig
	// Authenticator, if set, is used instead of Auth: share one
	// *mechanism.Auth between sockets and edit it at run time, or plug in a
	// mechanism.AuthFunc. Loading a file sets it to Config.Authenticator
	// on sockets without an auth section of their own.
	Authenticator mechanism.Authenticator
}

// authenticator returns the authenticator the socket uses, if any.
func (x *Extras) authenticator() (mechanism.Authenticator, error) {
	if x.Authenticator != nil {
		return x.Authenticator, nil
	}
	if x.Auth == nil {
		return nil, nil
	}
	a, err := x.Auth.Build()
	if err != nil {
		return nil, err
	}
	return a, nil
}

// options returns the socket options of the fields every socket type has.
func (x *Extras) options(hb socket.Heartbeat, m mechanism.Mechanism) (socket.Options, error) {
	auth, err := x.authenticator()
	if err != nil {
		return socket.Options{}, err
	}
	return socket.Options{
		Heartbeat:            hb,
		Mechanism:            m,
		Auth:                 auth,
		Linger:               x.Linger,
		ReconnectInterval:    x.ReconnectInterval,
		ReconnectIntervalMax: x.ReconnectIntervalMax,
		ConnectTimeout:       x.ConnectTimeout,
		HandshakeTimeout:     x.HandshakeTimeout,
		MaxMsgSize:           x.MaxMsgSize,
		MaxConnections:       x.MaxConnections,
		SendBuffer:           x.SendBuffer,
		RecvBuffer:           x.RecvBuffer,
		Immediate:            x.Immediate,
	}, nil
}

// Options returns the socket options this configuration describes, for
// patterns.NewClient; Build does the rest.
func (c *ClientConfig) Options() (socket.Options, error) {
	o, err := c.Extras.options(c.Heartbeat, c.Mechanism)
	o.SendHWM, o.SendTimeout, o.RecvHWM, o.RecvTimeout = c.SendHWM, c.SendTimeout, c.RecvHWM, c.RecvTimeout
	return o, err
}

// Build returns a Client in ctx (socket.DefaultCtx() if nil) with every
// option set, connected and bound as configured. It follows libzmq-rs's
// order (options, heartbeat, mechanism, then connect, then bind). On error
// the socket is closed.
func (c *ClientConfig) Build(ctx *socket.Ctx) (*patterns.Client, error) {
	o, err := c.Options()
	if err != nil {
		return nil, fmt.Errorf("config: client: %w", err)
	}
	s, err := patterns.NewClient(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("config: client: %w", err)
	}
	if err := attach(s, "client", c.Connect, c.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the socket options this configuration describes, for
// patterns.NewServer; Build does the rest.
func (c *ServerConfig) Options() (socket.Options, error) { return (*ClientConfig)(c).Options() }

// Build returns a Server in ctx (socket.DefaultCtx() if nil) with every
// option set, connected and bound as configured (see ClientConfig.Build).
func (c *ServerConfig) Build(ctx *socket.Ctx) (*patterns.Server, error) {
	o, err := c.Options()
	if err != nil {
		return nil, fmt.Errorf("config: server: %w", err)
	}
	s, err := patterns.NewServer(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("config: server: %w", err)
	}
	if err := attach(s, "server", c.Connect, c.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the socket options this configuration describes, for
// patterns.NewRadio (with RadioOptions{NoDrop: c.NoDrop}).
func (c *RadioConfig) Options() (socket.Options, error) {
	o, err := c.Extras.options(c.Heartbeat, c.Mechanism)
	o.SendHWM, o.SendTimeout = c.SendHWM, c.SendTimeout
	return o, err
}

// Build returns a Radio in ctx (socket.DefaultCtx() if nil) with every
// option set, connected and bound as configured (see ClientConfig.Build).
func (c *RadioConfig) Build(ctx *socket.Ctx) (*patterns.Radio, error) {
	o, err := c.Options()
	if err != nil {
		return nil, fmt.Errorf("config: radio: %w", err)
	}
	s, err := patterns.NewRadio(ctx, o, patterns.RadioOptions{NoDrop: c.NoDrop})
	if err != nil {
		return nil, fmt.Errorf("config: radio: %w", err)
	}
	if err := attach(s, "radio", c.Connect, c.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the socket options this configuration describes, for
// patterns.NewDish.
func (c *DishConfig) Options() (socket.Options, error) {
	o, err := c.Extras.options(c.Heartbeat, c.Mechanism)
	o.RecvHWM, o.RecvTimeout = c.RecvHWM, c.RecvTimeout
	o.Linger = 0
	return o, err
}

// Build returns a Dish in ctx (socket.DefaultCtx() if nil) with every
// option set, its groups joined, connected and bound as configured (see
// ClientConfig.Build). Groups are joined first, so every radio it reaches
// learns them at once.
func (c *DishConfig) Build(ctx *socket.Ctx) (*patterns.Dish, error) {
	o, err := c.Options()
	if err != nil {
		return nil, fmt.Errorf("config: dish: %w", err)
	}
	s, err := patterns.NewDish(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("config: dish: %w", err)
	}
	for _, g := range c.Groups {
		if err := s.Join(g); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("config: dish: join %q: %w", g, err)
		}
	}
	if err := attach(s, "dish", c.Connect, c.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the socket options this configuration describes, for
// patterns.NewScatter.
func (c *ScatterConfig) Options() (socket.Options, error) {
	o, err := c.Extras.options(c.Heartbeat, c.Mechanism)
	o.SendHWM, o.SendTimeout = c.SendHWM, c.SendTimeout
	return o, err
}

// Build returns a Scatter in ctx (socket.DefaultCtx() if nil) with every
// option set, connected and bound as configured (see ClientConfig.Build).
func (c *ScatterConfig) Build(ctx *socket.Ctx) (*patterns.Scatter, error) {
	o, err := c.Options()
	if err != nil {
		return nil, fmt.Errorf("config: scatter: %w", err)
	}
	s, err := patterns.NewScatter(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("config: scatter: %w", err)
	}
	if err := attach(s, "scatter", c.Connect, c.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the socket options this configuration describes, for
// patterns.NewGather.
func (c *GatherConfig) Options() (socket.Options, error) {
	o, err := c.Extras.options(c.Heartbeat, c.Mechanism)
	o.RecvHWM, o.RecvTimeout = c.RecvHWM, c.RecvTimeout
	return o, err
}

// Build returns a Gather in ctx (socket.DefaultCtx() if nil) with every
// option set, connected and bound as configured (see ClientConfig.Build).
func (c *GatherConfig) Build(ctx *socket.Ctx) (*patterns.Gather, error) {
	o, err := c.Options()
	if err != nil {
		return nil, fmt.Errorf("config: gather: %w", err)
	}
	s, err := patterns.NewGather(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("config: gather: %w", err)
	}
	if err := attach(s, "gather", c.Connect, c.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// endpointer is what attach needs of a socket.
type endpointer interface {
	Connect(string) error
	Bind(string) error
	Close() error
}

// attach connects, then binds (libzmq-rs's order), closing the socket on
// the first failure.
func attach(s endpointer, what string, connect, bind []Endpoint) error {
	for _, ep := range connect {
		if err := s.Connect(string(ep)); err != nil {
			_ = s.Close()
			return fmt.Errorf("config: %s: connect %s: %w", what, ep, err)
		}
	}
	for _, ep := range bind {
		if err := s.Bind(string(ep)); err != nil {
			_ = s.Close()
			return fmt.Errorf("config: %s: bind %s: %w", what, ep, err)
		}
	}
	return nil
}

// The YAML keys of each socket type, built from the pieces below.

func (c *ClientConfig) fields() []yamlx.Field {
	return socketFields("client", &c.Connect, &c.Bind, false, false, &c.Heartbeat, &c.Mechanism, &c.Extras,
		sendFields(&c.SendHWM, &c.SendTimeout), recvFields(&c.RecvHWM, &c.RecvTimeout))
}

func (c *ServerConfig) fields() []yamlx.Field {
	return socketFields("server", &c.Connect, &c.Bind, false, false, &c.Heartbeat, &c.Mechanism, &c.Extras,
		sendFields(&c.SendHWM, &c.SendTimeout), recvFields(&c.RecvHWM, &c.RecvTimeout))
}

func (c *RadioConfig) fields() []yamlx.Field {
	return socketFields("radio", &c.Connect, &c.Bind, true, false, &c.Heartbeat, &c.Mechanism, &c.Extras,
		sendFields(&c.SendHWM, &c.SendTimeout), []yamlx.Field{boolField("no_drop", &c.NoDrop)})
}

func (c *DishConfig) fields() []yamlx.Field {
	fs := socketFields("dish", &c.Connect, &c.Bind, false, true, &c.Heartbeat, &c.Mechanism, &c.Extras,
		recvFields(&c.RecvHWM, &c.RecvTimeout), []yamlx.Field{{Key: "groups", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return groups(d, path, n, &c.Groups)
		}}})
	// A dish never lingers (libzmq forces 0), so linger is not a dish key.
	out := fs[:0]
	for _, f := range fs {
		if f.Key != "linger" {
			out = append(out, f)
		}
	}
	return out
}

func (c *ScatterConfig) fields() []yamlx.Field {
	return socketFields("scatter", &c.Connect, &c.Bind, false, false, &c.Heartbeat, &c.Mechanism, &c.Extras,
		sendFields(&c.SendHWM, &c.SendTimeout))
}

func (c *GatherConfig) fields() []yamlx.Field {
	return socketFields("gather", &c.Connect, &c.Bind, false, false, &c.Heartbeat, &c.Mechanism, &c.Extras,
		recvFields(&c.RecvHWM, &c.RecvTimeout))
}

// socketFields returns the keys every socket type has, then the type's
// own. udpConnect and udpBind say where udp endpoints are allowed (a
// radio connects to them, a dish binds them).
func socketFields(sock string, connect, bind *[]Endpoint, udpConnect, udpBind bool, hb *socket.Heartbeat,
	m *mechanism.Mechanism, x *Extras, own ...[]yamlx.Field) []yamlx.Field {
	fs := []yamlx.Field{
		endpointsField("connect", connect, endpointRule{connect: true, udp: udpConnect, socket: sock}),
		endpointsField("bind", bind, endpointRule{udp: udpBind, socket: sock}),
		{Key: "heartbeat", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error { return heartbeat(d, path, n, hb) }},
		mechanismField(m),
	}
	for _, o := range own {
		fs = append(fs, o...)
	}
	return append(fs, x.fields()...)
}

func sendFields(hwm *int, timeout *time.Duration) []yamlx.Field {
	return []yamlx.Field{
		hwmField("send_hwm", "send_high_water_mark", hwm),
		timeoutField("send_timeout", timeout, "TrySend"),
	}
}

func recvFields(hwm *int, timeout *time.Duration) []yamlx.Field {
	return []yamlx.Field{
		hwmField("recv_hwm", "recv_high_water_mark", hwm),
		timeoutField("recv_timeout", timeout, "TryRecv"),
	}
}

// hwmField decodes a high-water mark: a non-negative integer that fits
// libzmq's int, 0 meaning no limit (socket.Unlimited).
func hwmField(key, alias string, dst *int) yamlx.Field {
	return yamlx.Field{Key: key, Aliases: []string{alias}, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		v := int64(-1)
		if err := d.Int64(path, n, &v, 0, math.MaxInt32, "a non-negative integer"); err != nil {
			return err
		}
		switch v {
		case -1: // null: the default
		case 0:
			*dst = socket.Unlimited
		default:
			*dst = int(v)
		}
		return nil
	}}
}

// timeoutField decodes a send or receive timeout. libzmq reads a zero
// timeout as "never block"; zmesh's Options read 0 as "no timeout", so an
// explicit 0 is refused rather than silently meaning the opposite.
func timeoutField(key string, dst *time.Duration, try string) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		return d.Duration(path, n, dst, yamlx.DurationSpec{Positive: true,
			ZeroHint: " (null means no timeout; for a call that never blocks use " + try + ")"})
	}}
}

func boolField(key string, dst *bool) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error { return d.Bool(path, n, dst) }}
}

func durationField(key string, dst *time.Duration, spec yamlx.DurationSpec) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error { return d.Duration(path, n, dst, spec) }}
}

// maxHeartbeat is libzmq-rs's contract for heartbeat intervals and
// timeouts: they travel as milliseconds in a C int.
const maxHeartbeat = math.MaxInt32 * time.Millisecond

// heartbeat decodes {interval, timeout, ttl}. Null means no heartbeat.
func heartbeat(d *yamlx.Decoder, path string, n *yaml.Node, dst *socket.Heartbeat) error {
	var hb socket.Heartbeat
	err := d.Fields(path, n, "a heartbeat {interval, timeout, ttl}", []yamlx.Field{
		durationField("interval", &hb.Interval, yamlx.DurationSpec{Positive: true, Max: maxHeartbeat,
			ZeroHint: " (to turn heartbeats off, leave heartbeat out or set it to null)"}),
		durationField("timeout", &hb.Timeout, yamlx.DurationSpec{Positive: true, Max: maxHeartbeat,
			ZeroHint: " (null means the same as the interval)"}),
		durationField("ttl", &hb.TTL, yamlx.DurationSpec{Positive: true, Max: socket.MaxTTL,
			ZeroHint: " (null sends no TTL)"}),
	})
	if err != nil {
		return err
	}
	if r, _ := d.Resolve(path, n); r != nil && !yamlx.IsNull(r) && hb.Interval == 0 {
		return d.Errorf(r, path, ErrMissing, nil, "missing key interval (a heartbeat needs one)")
	}
	*dst = hb
	return nil
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
		case containsNUL(g):
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

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// fields are the YAML keys of Extras.
func (x *Extras) fields() []yamlx.Field {
	return []yamlx.Field{
		durationField("linger", &x.Linger, yamlx.DurationSpec{Word: "forever", WordValue: -1}),
		durationField("reconnect_interval", &x.ReconnectInterval, yamlx.DurationSpec{Positive: true, Word: "off", WordValue: -1,
			ZeroHint: ` (null means the default, 100ms; "off" turns reconnection off)`}),
		durationField("reconnect_interval_max", &x.ReconnectIntervalMax, yamlx.DurationSpec{}),
		durationField("connect_timeout", &x.ConnectTimeout, yamlx.DurationSpec{Positive: true,
			ZeroHint: " (null leaves it to the system)"}),
		durationField("handshake_timeout", &x.HandshakeTimeout, yamlx.DurationSpec{Positive: true, Word: "off", WordValue: -1,
			ZeroHint: ` (null means the default, 30s; "off" means no bound)`}),
		{Key: "max_msg_size", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int64(path, n, &x.MaxMsgSize, 0, math.MaxInt64, "a non-negative number of bytes")
		}},
		{Key: "max_connections", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &x.MaxConnections, 0, math.MaxInt32, "a non-negative integer")
		}},
		{Key: "send_buffer", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &x.SendBuffer, 0, math.MaxInt32, "a non-negative number of bytes")
		}},
		{Key: "recv_buffer", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &x.RecvBuffer, 0, math.MaxInt32, "a non-negative number of bytes")
		}},
		boolField("immediate", &x.Immediate),
		{Key: "auth", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			if r, err := d.Resolve(path, n); err != nil || yamlx.IsNull(r) {
				return err
			}
			a := new(AuthConfig)
			if err := d.Fields(path, n, "an auth section", a.fields()); err != nil {
				return err
			}
			x.Auth = a
			return nil
		}},
	}
}
