package config

import (
	"math"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/internal/yamlx"
	"github.com/zmesh/zmesh/socket"
)

// optionKey is one YAML key of a socket section and the socket.Options
// field it decodes into. optionKeys is the one table of them: the section
// types decode straight into their Common.Socket through it, so a socket
// option has one definition (its socket.Options field) and one YAML key.
// TestOptionKeysCoverSocketOptions fails when socket.Options gains a field
// this table does not name.
type optionKey struct {
	key     string
	aliases []string
	field   string // the socket.Options field, by name
	side    side
	decode  func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error
}

// side says which socket types have a key: all of them, those that send
// (client, server, radio, scatter) or those that receive (client, server,
// dish, gather).
type side int

const (
	anySide side = iota
	sendSide
	recvSide
	classicSide // the classic types' keys (routing_id, conflate, ...)
)

// notFromYAML are the socket.Options fields no key sets: Auth comes from
// the auth sections (Common.Auth, Config.Auth), Logger from the program.
var notFromYAML = []string{"Auth", "Logger"}

// maxHeartbeat is libzmq-rs's contract for heartbeat intervals and
// timeouts: they travel as milliseconds in a C int.
const maxHeartbeat = math.MaxInt32 * time.Millisecond

var optionKeys = []optionKey{
	{key: "heartbeat", field: "Heartbeat", decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		return heartbeat(d, path, n, &o.Heartbeat)
	}},
	{key: "mechanism", field: "Mechanism", decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		m, err := decodeMechanism(d, path, n)
		if err == nil && m != nil {
			o.Mechanism = m
		}
		return err
	}},
	hwmKey("send_hwm", "send_high_water_mark", "SendHWM", sendSide, math.MaxInt32, "a non-negative integer",
		func(o *socket.Options) *int { return &o.SendHWM }),
	hwmKey("send_hwm_bytes", "", "SendHWMBytes", sendSide, math.MaxInt64, "a non-negative number of bytes",
		func(o *socket.Options) *int64 { return &o.SendHWMBytes }),
	timeoutKey("send_timeout", "SendTimeout", sendSide, "TrySend", func(o *socket.Options) *time.Duration { return &o.SendTimeout }),
	hwmKey("recv_hwm", "recv_high_water_mark", "RecvHWM", recvSide, math.MaxInt32, "a non-negative integer",
		func(o *socket.Options) *int { return &o.RecvHWM }),
	hwmKey("recv_hwm_bytes", "", "RecvHWMBytes", recvSide, math.MaxInt64, "a non-negative number of bytes",
		func(o *socket.Options) *int64 { return &o.RecvHWMBytes }),
	timeoutKey("recv_timeout", "RecvTimeout", recvSide, "TryRecv", func(o *socket.Options) *time.Duration { return &o.RecvTimeout }),
	durationKey("linger", "Linger", yamlx.DurationSpec{Word: "forever", WordValue: -1},
		func(o *socket.Options) *time.Duration { return &o.Linger }),
	durationKey("reconnect_interval", "ReconnectInterval", yamlx.DurationSpec{Positive: true, Word: "off", WordValue: -1,
		ZeroHint: ` (null means the default, 100ms; "off" turns reconnection off)`},
		func(o *socket.Options) *time.Duration { return &o.ReconnectInterval }),
	durationKey("reconnect_interval_max", "ReconnectIntervalMax", yamlx.DurationSpec{},
		func(o *socket.Options) *time.Duration { return &o.ReconnectIntervalMax }),
	durationKey("connect_timeout", "ConnectTimeout", yamlx.DurationSpec{Positive: true, ZeroHint: " (null leaves it to the system)"},
		func(o *socket.Options) *time.Duration { return &o.ConnectTimeout }),
	durationKey("handshake_timeout", "HandshakeTimeout", yamlx.DurationSpec{Positive: true, Word: "off", WordValue: -1,
		ZeroHint: ` (null means the default, 30s; "off" means no bound)`},
		func(o *socket.Options) *time.Duration { return &o.HandshakeTimeout }),
	{key: "max_msg_size", field: "MaxMsgSize", decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		return d.Int64(path, n, &o.MaxMsgSize, 0, math.MaxInt64, "a non-negative number of bytes")
	}},
	intKey("max_connections", "MaxConnections", "a non-negative integer", func(o *socket.Options) *int { return &o.MaxConnections }),
	intKey("max_connections_per_address", "MaxConnectionsPerAddress", "a non-negative integer",
		func(o *socket.Options) *int { return &o.MaxConnectionsPerAddress }),
	intKey("send_buffer", "SendBuffer", "a non-negative number of bytes", func(o *socket.Options) *int { return &o.SendBuffer }),
	intKey("recv_buffer", "RecvBuffer", "a non-negative number of bytes", func(o *socket.Options) *int { return &o.RecvBuffer }),
	{key: "immediate", field: "Immediate", decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		return d.Bool(path, n, &o.Immediate)
	}},
	bytesKey("routing_id", "RoutingID", 1, 255, func(o *socket.Options) *[]byte { return &o.RoutingID }),
	boolKey("probe_router", "ProbeRouter", func(o *socket.Options) *bool { return &o.ProbeRouter }),
	boolKey("router_mandatory", "RouterMandatory", func(o *socket.Options) *bool { return &o.RouterMandatory }),
	boolKey("router_handover", "RouterHandover", func(o *socket.Options) *bool { return &o.RouterHandover }),
	boolKey("req_relaxed", "ReqRelaxed", func(o *socket.Options) *bool { return &o.ReqRelaxed }),
	boolKey("req_correlate", "ReqCorrelate", func(o *socket.Options) *bool { return &o.ReqCorrelate }),
	boolKey("xpub_verbose", "XPubVerbose", func(o *socket.Options) *bool { return &o.XPubVerbose }),
	boolKey("xpub_verboser", "XPubVerboser", func(o *socket.Options) *bool { return &o.XPubVerboser }),
	boolKey("xpub_manual", "XPubManual", func(o *socket.Options) *bool { return &o.XPubManual }),
	boolKey("xpub_nodrop", "XPubNoDrop", func(o *socket.Options) *bool { return &o.XPubNoDrop }),
	bytesKey("xpub_welcome_msg", "XPubWelcome", 0, socket.MaxSubscription, func(o *socket.Options) *[]byte { return &o.XPubWelcome }),
	boolKey("invert_matching", "InvertMatching", func(o *socket.Options) *bool { return &o.InvertMatching }),
	boolKey("conflate", "Conflate", func(o *socket.Options) *bool { return &o.Conflate }),
	{key: "tcp_keepalive", field: "TCPKeepalive", decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		// libzmq's values: -1 leaves the system's setting, 0 off, 1 on.
		v := int64(-2)
		if err := d.Int64(path, n, &v, -1, 1, "-1, 0 or 1"); err != nil {
			return err
		}
		switch v {
		case -1:
			o.TCPKeepalive = 0
		case 0:
			o.TCPKeepalive = -1
		case 1:
			o.TCPKeepalive = 1
		}
		return nil
	}},
	intKey("tcp_keepalive_cnt", "TCPKeepaliveCount", "a non-negative integer", func(o *socket.Options) *int { return &o.TCPKeepaliveCount }),
	durationKey("tcp_keepalive_idle", "TCPKeepaliveIdle", yamlx.DurationSpec{Positive: true, ZeroHint: " (null leaves the system's default)"},
		func(o *socket.Options) *time.Duration { return &o.TCPKeepaliveIdle }),
	durationKey("tcp_keepalive_intvl", "TCPKeepaliveInterval", yamlx.DurationSpec{Positive: true, ZeroHint: " (null leaves the system's default)"},
		func(o *socket.Options) *time.Duration { return &o.TCPKeepaliveInterval }),
}

// boolKey is a classic type's true/false option.
func boolKey(key, field string, dst func(*socket.Options) *bool) optionKey {
	return optionKey{key: key, field: field, side: classicSide, decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		return d.Bool(path, n, dst(o))
	}}
}

// bytesKey is a classic type's byte-string option (written as text) of
// lo to hi bytes.
func bytesKey(key, field string, lo, hi int, dst func(*socket.Options) *[]byte) optionKey {
	return optionKey{key: key, field: field, side: classicSide, decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		text := "\x00unset"
		if err := d.Text(path, n, &text, "text"); err != nil || text == "\x00unset" {
			return err
		}
		if len(text) < lo || len(text) > hi {
			r, _ := d.Resolve(path, n)
			return d.Errorf(r, path, yamlx.ErrValue, nil, "want %d to %d bytes, got %d", lo, hi, len(text))
		}
		*dst(o) = []byte(text)
		return nil
	}}
}

// hwmKey decodes a high-water mark (in messages, a non-negative integer
// that fits libzmq's int) or a byte bound (up to limit): 0 means no limit
// (socket.Unlimited), as in libzmq; null leaves the default. alias may be
// empty.
func hwmKey[N int | int64](key, alias, field string, sd side, limit int64, want string, dst func(*socket.Options) *N) optionKey {
	k := optionKey{key: key, field: field, side: sd,
		decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
			v := int64(-1)
			if err := d.Int64(path, n, &v, 0, limit, want); err != nil {
				return err
			}
			switch v {
			case -1: // null: the default
			case 0:
				*dst(o) = socket.Unlimited
			default:
				*dst(o) = N(v)
			}
			return nil
		}}
	if alias != "" {
		k.aliases = []string{alias}
	}
	return k
}

// timeoutKey decodes a send or receive timeout. libzmq reads a zero
// timeout as "never block"; zmesh's Options read 0 as "no timeout", so an
// explicit 0 is refused rather than silently meaning the opposite.
func timeoutKey(key, field string, sd side, try string, dst func(*socket.Options) *time.Duration) optionKey {
	k := durationKey(key, field, yamlx.DurationSpec{Positive: true,
		ZeroHint: " (null means no timeout; for a call that never blocks use " + try + ")"}, dst)
	k.side = sd
	return k
}

func durationKey(key, field string, spec yamlx.DurationSpec, dst func(*socket.Options) *time.Duration) optionKey {
	return optionKey{key: key, field: field, decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		return d.Duration(path, n, dst(o), spec)
	}}
}

func intKey(key, field, want string, dst func(*socket.Options) *int) optionKey {
	return optionKey{key: key, field: field, decode: func(d *yamlx.Decoder, path string, n *yaml.Node, o *socket.Options) error {
		return d.Int(path, n, dst(o), 0, math.MaxInt32, want)
	}}
}

func boolField(key string, dst *bool) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error { return d.Bool(path, n, dst) }}
}

func durationField(key string, dst *time.Duration, spec yamlx.DurationSpec) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error { return d.Duration(path, n, dst, spec) }}
}

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
