package config

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/internal/yamlx"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// Classic holds one socket of each classic ZeroMQ type (YAML: req, rep,
// dealer, router, pub, sub, xpub, xsub, push, pull, pair); nil when
// absent. Config and SocketConfig embed it. libzmq-rs has no classic
// types; their sections have the same shape as its draft ones (connect,
// bind, the socket options) plus the classic options (routing_id,
// probe_router, router_mandatory, router_handover, req_relaxed,
// req_correlate, xpub_verbose, xpub_verboser, xpub_manual, xpub_nodrop,
// xpub_welcome_msg, invert_matching, conflate), and sub and xsub a
// subscribe list:
//
//	sub:
//	  connect: [tcp://127.0.0.1:5556]
//	  subscribe: [weather., news.]
//	  conflate: true
type Classic struct {
	Req    *ReqConfig
	Rep    *RepConfig
	Dealer *DealerConfig
	Router *RouterConfig
	Pub    *PubConfig
	Sub    *SubConfig
	XPub   *XPubConfig
	XSub   *XSubConfig
	Push   *PushConfig
	Pull   *PullConfig
	Pair   *PairConfig
}

// fields are the keys of the classic sections.
func (c *Classic) fields() []yamlx.Field {
	return []yamlx.Field{
		section("req", func() Section { c.Req = new(ReqConfig); return c.Req }),
		section("rep", func() Section { c.Rep = new(RepConfig); return c.Rep }),
		section("dealer", func() Section { c.Dealer = new(DealerConfig); return c.Dealer }),
		section("router", func() Section { c.Router = new(RouterConfig); return c.Router }),
		section("pub", func() Section { c.Pub = new(PubConfig); return c.Pub }),
		section("sub", func() Section { c.Sub = new(SubConfig); return c.Sub }),
		section("xpub", func() Section { c.XPub = new(XPubConfig); return c.XPub }),
		section("xsub", func() Section { c.XSub = new(XSubConfig); return c.XSub }),
		section("push", func() Section { c.Push = new(PushConfig); return c.Push }),
		section("pull", func() Section { c.Pull = new(PullConfig); return c.Pull }),
		section("pair", func() Section { c.Pair = new(PairConfig); return c.Pair }),
	}
}

// set returns the type and the Common part of the first classic section
// set, and how many are set.
func (c *Classic) set() (typ string, common *Common, count int) {
	for _, s := range []struct {
		typ string
		c   *Common
	}{
		{"req", commonOf(c.Req)},
		{"rep", commonOf(c.Rep)},
		{"dealer", commonOf(c.Dealer)},
		{"router", commonOf(c.Router)},
		{"pub", commonOf(c.Pub)},
		{"sub", commonOf(c.Sub)},
		{"xpub", commonOf(c.XPub)},
		{"xsub", commonOf(c.XSub)},
		{"push", commonOf(c.Push)},
		{"pull", commonOf(c.Pull)},
		{"pair", commonOf(c.Pair)},
	} {
		if s.c != nil {
			if count == 0 {
				typ, common = s.typ, s.c
			}
			count++
		}
	}
	return typ, common, count
}

// commons returns the Common part of every classic section set.
func (c *Classic) commons() []*Common {
	var out []*Common
	for _, x := range []*Common{
		commonOf(c.Req),
		commonOf(c.Rep),
		commonOf(c.Dealer),
		commonOf(c.Router),
		commonOf(c.Pub),
		commonOf(c.Sub),
		commonOf(c.XPub),
		commonOf(c.XSub),
		commonOf(c.Push),
		commonOf(c.Pull),
		commonOf(c.Pair),
	} {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// hasCommon is every classic section type.
type hasCommon interface{ common() *Common }

// commonOf returns s's Common part, nil for a nil section.
func commonOf[S interface {
	*T
	hasCommon
}, T any](s S) *Common {
	if s == nil {
		return nil
	}
	return s.common()
}

// subscribeField is sub's and xsub's subscribe key: the prefixes to
// subscribe to before connecting.
func subscribeField(dst *[]string) yamlx.Field {
	return yamlx.Field{Key: "subscribe", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		var out []string
		err := d.Seq(path, n, "a list of subscription prefixes", func(path string, item *yaml.Node) error {
			var s string
			if err := d.Text(path, item, &s, "a subscription prefix"); err != nil {
				return err
			}
			if len(s) > socket.MaxSubscription {
				r, _ := d.Resolve(path, item)
				return d.Errorf(r, path, ErrValue, nil, "a %d-byte prefix (the limit is %d)", len(s), socket.MaxSubscription)
			}
			out = append(out, s)
			return nil
		})
		if err == nil {
			*dst = out
		}
		return err
	}}
}

// subscribed returns a socket built by open with every prefix subscribed.
func subscribed[S interface {
	Subscribe([]byte) error
	Close() error
}](open func(*socket.Ctx, socket.Options) (S, error), prefixes []string) func(*socket.Ctx, socket.Options) (S, error) {
	return func(ctx *socket.Ctx, o socket.Options) (S, error) {
		s, err := open(ctx, o)
		if err != nil {
			return s, err
		}
		for _, p := range prefixes {
			if err := s.Subscribe([]byte(p)); err != nil {
				_ = s.Close()
				var zero S
				return zero, fmt.Errorf("subscribe %q: %w", p, err)
			}
		}
		return s, nil
	}
}

// ReqConfig configures a patterns.Req (REQ; see Classic).
type ReqConfig struct{ Common }

// Build returns a patterns.Req (see Common).
func (c *ReqConfig) Build(ctx *socket.Ctx) (*patterns.Req, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *ReqConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Req, []string, error) {
	return build(&c.Common, "req", ctx, defaults, patterns.NewReq)
}

func (c *ReqConfig) common() *Common { return &c.Common }

func (c *ReqConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "req", sides{send: true, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *ReqConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// RepConfig configures a patterns.Rep (REP; see Classic).
type RepConfig struct{ Common }

// Build returns a patterns.Rep (see Common).
func (c *RepConfig) Build(ctx *socket.Ctx) (*patterns.Rep, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *RepConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Rep, []string, error) {
	return build(&c.Common, "rep", ctx, defaults, patterns.NewRep)
}

func (c *RepConfig) common() *Common { return &c.Common }

func (c *RepConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "rep", sides{send: true, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *RepConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// DealerConfig configures a patterns.Dealer (DEALER; see Classic).
type DealerConfig struct{ Common }

// Build returns a patterns.Dealer (see Common).
func (c *DealerConfig) Build(ctx *socket.Ctx) (*patterns.Dealer, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *DealerConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Dealer, []string, error) {
	return build(&c.Common, "dealer", ctx, defaults, patterns.NewDealer)
}

func (c *DealerConfig) common() *Common { return &c.Common }

func (c *DealerConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "dealer", sides{send: true, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *DealerConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// RouterConfig configures a patterns.Router (ROUTER; see Classic).
type RouterConfig struct{ Common }

// Build returns a patterns.Router (see Common).
func (c *RouterConfig) Build(ctx *socket.Ctx) (*patterns.Router, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *RouterConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Router, []string, error) {
	return build(&c.Common, "router", ctx, defaults, patterns.NewRouter)
}

func (c *RouterConfig) common() *Common { return &c.Common }

func (c *RouterConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "router", sides{send: true, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *RouterConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// PubConfig configures a patterns.Pub (PUB; see Classic).
type PubConfig struct{ Common }

// Build returns a patterns.Pub (see Common).
func (c *PubConfig) Build(ctx *socket.Ctx) (*patterns.Pub, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *PubConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Pub, []string, error) {
	return build(&c.Common, "pub", ctx, defaults, patterns.NewPub)
}

func (c *PubConfig) common() *Common { return &c.Common }

func (c *PubConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "pub", sides{send: true, recv: false, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *PubConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// SubConfig configures a patterns.Sub (SUB; see Classic), with the prefixes to
// subscribe to before it connects.
type SubConfig struct {
	Common
	// Subscribe lists the subscription prefixes (YAML: subscribe).
	Subscribe []string
}

// Build returns a patterns.Sub (see Common).
func (c *SubConfig) Build(ctx *socket.Ctx) (*patterns.Sub, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *SubConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Sub, []string, error) {
	return build(&c.Common, "sub", ctx, defaults, subscribed(patterns.NewSub, c.Subscribe))
}

func (c *SubConfig) common() *Common { return &c.Common }

func (c *SubConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "sub", sides{send: false, recv: true, linger: true, classic: true}, subscribeField(&c.Subscribe))
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *SubConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// XPubConfig configures a patterns.XPub (XPUB; see Classic).
type XPubConfig struct{ Common }

// Build returns a patterns.XPub (see Common).
func (c *XPubConfig) Build(ctx *socket.Ctx) (*patterns.XPub, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *XPubConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.XPub, []string, error) {
	return build(&c.Common, "xpub", ctx, defaults, patterns.NewXPub)
}

func (c *XPubConfig) common() *Common { return &c.Common }

func (c *XPubConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "xpub", sides{send: true, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *XPubConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// XSubConfig configures a patterns.XSub (XSUB; see Classic), with the prefixes to
// subscribe to before it connects.
type XSubConfig struct {
	Common
	// Subscribe lists the subscription prefixes (YAML: subscribe).
	Subscribe []string
}

// Build returns a patterns.XSub (see Common).
func (c *XSubConfig) Build(ctx *socket.Ctx) (*patterns.XSub, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *XSubConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.XSub, []string, error) {
	return build(&c.Common, "xsub", ctx, defaults, subscribed(patterns.NewXSub, c.Subscribe))
}

func (c *XSubConfig) common() *Common { return &c.Common }

func (c *XSubConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "xsub", sides{send: true, recv: true, linger: true, classic: true}, subscribeField(&c.Subscribe))
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *XSubConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// PushConfig configures a patterns.Push (PUSH; see Classic).
type PushConfig struct{ Common }

// Build returns a patterns.Push (see Common).
func (c *PushConfig) Build(ctx *socket.Ctx) (*patterns.Push, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *PushConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Push, []string, error) {
	return build(&c.Common, "push", ctx, defaults, patterns.NewPush)
}

func (c *PushConfig) common() *Common { return &c.Common }

func (c *PushConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "push", sides{send: true, recv: false, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *PushConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// PullConfig configures a patterns.Pull (PULL; see Classic).
type PullConfig struct{ Common }

// Build returns a patterns.Pull (see Common).
func (c *PullConfig) Build(ctx *socket.Ctx) (*patterns.Pull, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *PullConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Pull, []string, error) {
	return build(&c.Common, "pull", ctx, defaults, patterns.NewPull)
}

func (c *PullConfig) common() *Common { return &c.Common }

func (c *PullConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "pull", sides{send: false, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *PullConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }

// PairConfig configures a patterns.Pair (PAIR; see Classic).
type PairConfig struct{ Common }

// Build returns a patterns.Pair (see Common).
func (c *PairConfig) Build(ctx *socket.Ctx) (*patterns.Pair, error) {
	return noEndpoints(c.BuildWith(ctx, socket.Options{}))
}

// BuildWith is Build with defaults, returning the endpoints too (see
// Common).
func (c *PairConfig) BuildWith(ctx *socket.Ctx, defaults socket.Options) (*patterns.Pair, []string, error) {
	return build(&c.Common, "pair", ctx, defaults, patterns.NewPair)
}

func (c *PairConfig) common() *Common { return &c.Common }

func (c *PairConfig) decodeNode(d *yamlx.Decoder, path string, n *yaml.Node) error {
	return c.decode(d, path, n, "pair", sides{send: true, recv: true, linger: true, classic: true})
}

// UnmarshalYAML implements yaml.Unmarshaler with this package's rules.
func (c *PairConfig) UnmarshalYAML(n *yaml.Node) error { return unmarshalYAML(c, n) }
