package zmq4

import (
	"log"
	"log/slog"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// zmq4's defaults, kept so that a program written for it behaves alike.
const (
	defaultRetry      = 250 * time.Millisecond
	defaultTimeout    = 5 * time.Minute
	defaultMaxRetries = 10
	// defaultLinger is how long Close lets queued messages go out. zmq4
	// writes a message to the connection during Send, so its programs
	// expect what they sent before Close to arrive; zmesh queues it.
	defaultLinger = 2 * time.Second
)

// config is what the options set; a socket keeps it.
type config struct {
	id          SocketIdentity
	sec         Security
	retry       time.Duration
	maxRetries  int
	dialTimeout time.Duration
	timeout     time.Duration
	logger      *slog.Logger
	zctx        *socket.Ctx
	tweaks      []func(*socket.Options)
}

// Option configures a socket, as zmq4's options do.
type Option func(c *config)

// WithID sets the socket's routing id (ZMQ_ROUTING_ID), which a ROUTER
// peer sees as this socket's identity frame: 1 to 255 bytes (REQ, DEALER,
// ROUTER). Without it, unlike zmq4 (which makes a random one), the socket
// announces none and a ROUTER peer generates one, as libzmq.
func WithID(id SocketIdentity) Option { return func(c *config) { c.id = id } }

// WithSecurity sets the socket's security mechanism; nil means NULL. See
// Security, the security/plain and security/null packages, and
// MechanismSecurity for CURVE.
func WithSecurity(sec Security) Option { return func(c *config) { c.sec = sec } }

// WithDialerRetry sets the wait between two connection attempts (zmesh's
// ReconnectInterval), both during Dial and when reconnecting later.
func WithDialerRetry(retry time.Duration) Option { return func(c *config) { c.retry = retry } }

// WithDialerMaxRetries sets how many failed connection attempts Dial waits
// through before it fails (-1: no bound). It bounds Dial only: a
// connection lost later is retried without bound.
func WithDialerMaxRetries(maxRetries int) Option {
	return func(c *config) { c.maxRetries = maxRetries }
}

// WithDialerTimeout bounds one TCP connect (zmesh's ConnectTimeout).
func WithDialerTimeout(timeout time.Duration) Option {
	return func(c *config) { c.dialTimeout = timeout }
}

// WithTimeout bounds how long Send blocks (at a high-water mark, or with
// no peer to send to), 5 minutes by default, as in zmq4. Recv is bounded
// only by the socket's context, as in zmq4.
func WithTimeout(timeout time.Duration) Option { return func(c *config) { c.timeout = timeout } }

// WithLogger sends the socket's connection-level logs (never per message)
// to l, as text; without it they go to the zmesh context's logger.
func WithLogger(l *log.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = slog.New(slog.NewTextHandler(l.Writer(), nil))
		}
	}
}

// WithAutomaticReconnect is accepted for compatibility and has no effect:
// a bridge socket always reconnects a lost connection (zmesh's rule),
// every WithDialerRetry.
func WithAutomaticReconnect(automaticReconnect bool) Option { return func(*config) {} }

// WithCtx puts the socket in zmesh context zc instead of the process's
// default one (socket.DefaultCtx()). inproc endpoints connect only sockets
// of one context.
func WithCtx(zc *socket.Ctx) Option { return func(c *config) { c.zctx = zc } }

// WithOptions lets f adjust the zmesh socket options the bridge made from
// the other options, before the socket is made: high-water marks in
// messages and bytes, heartbeats (Heartbeat), TCP keepalive, Linger (2 s
// by default), MaxMsgSize, ReqCorrelate, RouterMandatory, XPubVerbose,
// Conflate and the rest of socket.Options. Several WithOptions apply in
// order.
func WithOptions(f func(o *socket.Options)) Option {
	return func(c *config) {
		if f != nil {
			c.tweaks = append(c.tweaks, f)
		}
	}
}
