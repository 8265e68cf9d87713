package socket

import (
	"log/slog"
	"time"

	"github.com/zmesh/zmesh/mechanism"
)

// Defaults, as libzmq 4.3 has them.
const (
	DefaultHWM               = 1000
	DefaultReconnectInterval = 100 * time.Millisecond
	DefaultHandshakeTimeout  = 30 * time.Second
	// MaxTTL is the largest heartbeat TTL the wire can carry (6553.5 s).
	MaxTTL = 6553500 * time.Millisecond
)

// DefaultHWMBytes is the default byte bound of each peer's queues
// (SendHWMBytes, RecvHWMBytes): 64 MiB. libzmq has none.
const DefaultHWMBytes = 64 << 20

// Unlimited, as a high-water mark, lifts the bound on a queue.
const Unlimited = -1

// MaxHandshakeFrame is the largest frame body a peer may send before its
// handshake completes, whatever MaxMsgSize says: until it is
// authenticated, a peer costs what any hostile connection would, so this
// bounds what one holds. The mechanisms need far less: a PLAIN HELLO is at most 518 bytes (255-byte user and password), a
// CURVE HELLO 200 and WELCOME 168, a NOISE WELCOME 104; the commands that
// carry metadata are READY (6 bytes and the metadata), CURVE's INITIATE
// (257 and the metadata) and READY (30 and the metadata), NOISE's INITIATE
// (73 and the metadata). A zmesh peer's metadata is its socket type,
// a libzmq peer's adds its routing id (at most 255 bytes) and any
// ZMQ_METADATA properties it was given: those may take up to about 7.5 KiB
// in all. A larger frame before the handshake completes ends the
// connection with ErrTooLarge (EventHandshakeFailed).
const MaxHandshakeFrame = 8 << 10

// Heartbeat configures ZMTP 3.1 PING/PONG on tcp and ipc connections.
type Heartbeat struct {
	// Interval between PINGs; 0 turns heartbeats off.
	Interval time.Duration `yaml:"interval"`
	// Timeout: after a PING, drop the connection if nothing at all arrives
	// within it. 0 means the same as Interval (libzmq's default).
	Timeout time.Duration `yaml:"timeout"`
	// TTL asks the peer to drop us if it hears nothing from us for this
	// long; 0 sends none. The wire carries tenths of a second up to 6553.5 s;
	// libzmq peers mis-apply TTLs above 65.5 s (a 16-bit overflow).
	TTL time.Duration `yaml:"ttl"`
}

// Options configure a socket. The zero value is usable: every field's zero
// means the documented default.
type Options struct {
	// SendHWM bounds each peer's outgoing queue, in messages. 0 means
	// DefaultHWM (1000); Unlimited (or any negative) lifts the bound.
	SendHWM int
	// RecvHWM bounds each peer's incoming queue, likewise. A full incoming
	// queue stops reading from that connection (TCP backpressure).
	RecvHWM int
	// SendHWMBytes bounds each peer's outgoing queue in bytes of message
	// bodies, with what the connection's writer has taken and not yet
	// handed to the kernel counted in, so a peer's outgoing side never
	// holds more. (SendHWM counts the waiting messages only, as libzmq's
	// does: the writer may hold up to a queue's worth more.) 0 means
	// DefaultHWMBytes (64 MiB); Unlimited (or any negative) lifts the
	// bound. A send that would take the queue over it behaves as one at
	// SendHWM: it waits, fails with ErrWouldBlock, or (RADIO without
	// NoDrop) is dropped for that peer. A message larger than the bound
	// still goes once the queue is empty, alone. Over inproc the sender's
	// SendHWMBytes and the receiver's RecvHWMBytes add up to one bound, as
	// the message marks do.
	SendHWMBytes int64
	// RecvHWMBytes bounds each peer's incoming queue in bytes, likewise:
	// once it holds that many, the socket stops reading from the
	// connection (TCP backpressure) until Recv has drained it to half. The
	// queue may pass the bound by one read batch (at most 2 MiB and one
	// message).
	RecvHWMBytes int64
	// SendTimeout bounds how long Send blocks; 0 means no bound (the
	// context still applies). On expiry the send fails with ErrWouldBlock.
	SendTimeout time.Duration
	// RecvTimeout bounds how long Recv blocks, likewise.
	RecvTimeout time.Duration
	// Linger is how long Close waits for queued outgoing messages to be
	// written: 0 discards them at once (libzmq-rs's default), a negative
	// value waits without bound.
	Linger time.Duration
	// Heartbeat turns on PING/PONG liveness checks.
	Heartbeat Heartbeat
	// ReconnectInterval is the wait before reconnecting a lost or failed
	// connection: 0 means DefaultReconnectInterval, negative turns
	// reconnection off.
	ReconnectInterval time.Duration
	// ReconnectIntervalMax, if above ReconnectInterval, doubles the wait on
	// each failed attempt up to this bound (libzmq 4.3.5's rule).
	ReconnectIntervalMax time.Duration
	// ConnectTimeout bounds one TCP connect; 0 leaves it to the system.
	ConnectTimeout time.Duration
	// HandshakeTimeout bounds the greeting and security handshake: 0 means
	// DefaultHandshakeTimeout, negative means no bound.
	HandshakeTimeout time.Duration
	// MaxMsgSize refuses (and closes the connection of) a peer that
	// announces a larger message, before any memory is allocated for it.
	// 0 means no limit: a frame of up to 1.125 MiB is then allocated whole
	// once its header arrives, and a larger one's memory grows as its bytes
	// arrive, at most 1 MiB (or as much as has arrived) ahead of them.
	// It applies once the handshake has succeeded: before then no frame may
	// exceed MaxHandshakeFrame (8 KiB), whatever MaxMsgSize says, so an
	// unauthenticated connection never holds more than about 10 KiB of
	// buffers (frames over 4.5 KiB get their memory in 4 KiB steps as
	// their bytes arrive).
	MaxMsgSize int64
	// MaxConnections caps the connections a socket accepts at once; 0 means
	// no cap. Further connections are closed at once.
	MaxConnections int
	// MaxConnectionsPerAddress caps the tcp connections a socket accepts
	// at once from one source IP address (an IPv4-mapped IPv6 address is
	// the IPv4 one); 0 means no cap. Further connections from that address
	// are closed at once, with EventAcceptFailed and an error that matches
	// ErrSocketLimit and names the address. ipc connections are not
	// counted.
	MaxConnectionsPerAddress int
	// SendBuffer and RecvBuffer set the kernel's buffer sizes of every tcp,
	// ipc and udp socket this socket opens (SO_SNDBUF and SO_RCVBUF,
	// libzmq's ZMQ_SNDBUF and ZMQ_RCVBUF), in bytes; 0 leaves the system's
	// default. Linux doubles the value for its own bookkeeping and caps it
	// at net.core.wmem_max / rmem_max. A larger RecvBuffer lets a UDP dish
	// absorb bursts the kernel would otherwise drop.
	SendBuffer int
	RecvBuffer int
	// Immediate, on a connecting socket, queues messages only for peers
	// whose handshake has completed (libzmq's ZMQ_IMMEDIATE).
	Immediate bool
	// RoutingID is the identity a REQ, DEALER or ROUTER announces to its
	// peers (libzmq's ZMQ_ROUTING_ID): 1 to 255 bytes; nil announces an
	// empty one, and a ROUTER or REP peer then generates an id for us.
	RoutingID []byte
	// ProbeRouter: a DEALER, REQ or ROUTER sends one empty message to
	// each new pipe as soon as it connects (ZMQ_PROBE_ROUTER).
	ProbeRouter bool
	// RouterMandatory: a ROUTER's send to an unknown routing id fails
	// with ErrHostUnreachable, and one to a peer at its high-water mark
	// blocks (or fails with ErrWouldBlock), instead of dropping the
	// message silently (ZMQ_ROUTER_MANDATORY).
	RouterMandatory bool
	// RouterHandover: a ROUTER peer announcing a routing id already in use
	// takes it over (the old connection is closed), instead of being
	// refused (ZMQ_ROUTER_HANDOVER).
	RouterHandover bool
	// ReqRelaxed lets a REQ send a new request before the reply to the
	// last one (which is then discarded) arrives (ZMQ_REQ_RELAXED).
	ReqRelaxed bool
	// ReqCorrelate makes a REQ prefix each request with a request-id frame
	// and accept only the reply that echoes it (ZMQ_REQ_CORRELATE).
	ReqCorrelate bool
	// XPubVerbose: an XPUB passes up every subscription, duplicates
	// included, not only a topic's first (ZMQ_XPUB_VERBOSE).
	XPubVerbose bool
	// XPubVerboser: as XPubVerbose, and every cancel too
	// (ZMQ_XPUB_VERBOSER).
	XPubVerboser bool
	// XPubManual: an XPUB applies no subscription itself; the application
	// receives each one and calls Subscribe or Unsubscribe for the peer
	// it came from (ZMQ_XPUB_MANUAL).
	XPubManual bool
	// XPubNoDrop: a PUB or XPUB send blocks (or fails with ErrWouldBlock)
	// when a matching subscriber is at its high-water mark, instead of
	// dropping the message for it (ZMQ_XPUB_NODROP).
	XPubNoDrop bool
	// XPubWelcome, if not empty, is sent by a PUB or XPUB to each new
	// subscriber as its first message (ZMQ_XPUB_WELCOME_MSG).
	XPubWelcome []byte
	// InvertMatching: a PUB or XPUB sends to the subscribers that do not
	// match, a SUB delivers what does not match (ZMQ_INVERT_MATCHING).
	InvertMatching bool
	// Conflate keeps only the newest incoming message of each peer on a
	// SUB, PULL or DEALER (ZMQ_CONFLATE); multipart messages are kept
	// whole.
	Conflate bool
	// TCPKeepalive turns SO_KEEPALIVE on tcp connections on (1) or off
	// (-1); 0 leaves Go's default, which is on (ZMQ_TCP_KEEPALIVE). The
	// three settings below apply unless it is -1; 0 leaves each at its
	// default.
	TCPKeepalive int
	// TCPKeepaliveCount is the number of unanswered probes after which
	// the connection is dropped (ZMQ_TCP_KEEPALIVE_CNT).
	TCPKeepaliveCount int
	// TCPKeepaliveIdle is the idle time before the first probe
	// (ZMQ_TCP_KEEPALIVE_IDLE), at least a second.
	TCPKeepaliveIdle time.Duration
	// TCPKeepaliveInterval is the time between probes
	// (ZMQ_TCP_KEEPALIVE_INTVL), at least a second.
	TCPKeepaliveInterval time.Duration
	// Mechanism secures tcp and ipc connections; nil means NULL.
	Mechanism mechanism.Mechanism
	// Auth, if set, authorises peers during the handshake on this socket.
	Auth mechanism.Authenticator
	// Logger receives connection-level logs (never per message); nil means
	// the Ctx's logger.
	Logger *slog.Logger
}
