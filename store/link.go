package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// link is one CLIENT socket of a Client and what its monitor says about
// it. Connect makes one per endpoint; NewClient one for the caller's
// socket. Two goroutines serve it, both owned by the Client: the
// demultiplexer (routes the answers received on the caller's socket; on
// Connect's sockets, whose connection readers route them, it receives
// nothing and only notices when the socket stops; ends when Close cancels
// Client.run, or the socket stops working; closes done) and the monitor
// (ends when the socket closes and its event channel with it).
type link struct {
	sock     *patterns.Client
	endpoint string // the endpoint (NewClient: the socket's last one, maybe "")
	failFast bool   // a failed attempt makes the link fail (Connect's links)
	done     chan struct{}

	// Guarded by Client.mu.
	up      int    // connections whose handshake is done and that have not dropped
	tried   bool   // a connection attempt has come to an end, for better or worse
	lastErr error  // why the last attempt failed (nil once one succeeds)
	lastEP  string // the endpoint of that attempt, as the monitor names it
	dead    bool   // the demultiplexer has stopped: no answer will come
	shaking bool   // a connection is made and its handshake not yet done
}

// Errors of a connection, test for them with errors.Is. A *ConnError
// matching one of them says which endpoint and why.
var (
	// ErrUnreachable: no server could be reached: the connection was
	// refused, the host is unknown, the attempt timed out...
	ErrUnreachable = errors.New("server unreachable")
	// ErrHandshake: the connection was made but its handshake failed: the
	// security mechanisms differ, the server's key is not the one given,
	// the server denied the credentials... It is socket.ErrHandshake, and
	// errors.As to a *mechanism.HandshakeError tells more.
	ErrHandshake = socket.ErrHandshake
	// ErrConnLost: the connection a request went on dropped before its
	// answer came, too many times to try again.
	ErrConnLost = errors.New("connection lost before the answer came")
)

// errConnLost fails the calls of a connection that dropped; the caller
// sends the request again.
var errConnLost = ErrConnLost

// ConnError says why one endpoint could not be used. It matches
// ErrUnreachable or ErrHandshake with errors.Is, and its cause (a
// *net.OpError, a *net.DNSError, a *mechanism.HandshakeError...) too.
type ConnError struct {
	// Endpoint is the endpoint that failed.
	Endpoint string
	// Err is the cause, as the socket's monitor reported it.
	Err error
}

func (e *ConnError) Error() string {
	if errors.Is(e.Err, socket.ErrHandshake) {
		return "handshake with " + e.Endpoint + " failed: " + describe(e.Err)
	}
	return "cannot connect to " + e.Endpoint + ": " + describe(e.Err)
}

// Unwrap returns the kind of failure and the cause.
func (e *ConnError) Unwrap() []error {
	if errors.Is(e.Err, socket.ErrHandshake) {
		return []error{e.Err}
	}
	return []error{ErrUnreachable, e.Err}
}

// describe says in a few words why a connection failed.
func describe(err error) string {
	var dns *net.DNSError
	var hs *mechanism.HandshakeError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens there)"
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("unknown host %q", dns.Name)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve %q: %v", dns.Name, dns.Err)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	case errors.Is(err, syscall.ETIMEDOUT):
		return "the connection attempt timed out"
	case errors.As(err, &hs):
		r := hs.Reason
		if hs.Err != nil {
			r += ": " + hs.Err.Error()
		}
		switch {
		case strings.Contains(hs.Reason, "does not match ours"):
			return "security mechanism mismatch: " + r
		case strings.Contains(hs.Reason, "peer sent ERROR: 400"):
			return "the server denied the credentials: " + r
		case strings.Contains(hs.Reason, "ServerKey"):
			return "wrong server key: " + r
		}
		return r
	}
	return err.Error()
}

// newLink makes a link for endpoint and adds it to the client; its socket
// is set before startLink.
func (c *Client) newLink(endpoint string, failFast bool) *link {
	l := &link{endpoint: endpoint, failFast: failFast && !c.opts.WaitForServer, done: make(chan struct{})}
	c.links = append(c.links, l)
	return l
}

// startLink starts l's goroutines: the monitor's reader and the
// demultiplexer (which, for a socket whose answers are routed as they are
// read, receives nothing but notices when the socket stops).
func (c *Client) startLink(l *link) {
	events := l.sock.Monitor()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for ev := range events {
			c.observe(l, ev)
		}
	}()
	go c.demux(c.run, l)
}

// observe updates l's state with a monitor event. A connection that drops
// fails the calls that went on it with errConnLost: their callers send
// them again.
func (c *Client) observe(l *link, ev socket.Event) {
	lost := false
	c.mu.Lock()
	switch ev.Type {
	case socket.EventConnected:
		l.shaking = true
	case socket.EventHandshakeSucceeded:
		l.up++
		l.tried, l.lastErr, l.shaking = true, nil, false
	case socket.EventDisconnected:
		if l.up > 0 {
			l.up--
		}
		lost = true
	case socket.EventConnectFailed, socket.EventHandshakeFailed:
		l.tried, l.lastErr, l.lastEP, l.shaking = true, ev.Err, ev.Endpoint, false
	case socket.EventConnectStopped:
		l.tried = true
		if l.lastErr == nil {
			l.lastErr, l.lastEP = ev.Err, ev.Endpoint
		}
	default:
		c.mu.Unlock()
		return
	}
	c.notifyLocked()
	c.mu.Unlock()
	if lost {
		c.log.Debug("store: connection dropped; its requests go again elsewhere", "endpoint", ev.Endpoint, "err", ev.Err)
		c.failAll(func(k *call) bool { return k.link == l }, errConnLost)
	}
}

// notifyLocked wakes every pick waiting for a change of state. c.mu is
// held.
func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// pick returns a link that is up, round-robin, waiting within ctx for one.
// It fails at once when the client is closed or every link is dead, and
// when every link has failed its last attempt (for links that fail fast),
// with a *ConnError per endpoint.
func (c *Client) pick(ctx context.Context) (*link, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		live, dead, failed := 0, 0, 0
		for _, l := range c.links {
			switch {
			case l.dead:
				dead++
			case l.up > 0:
				live++
			case l.failFast && l.tried && l.lastErr != nil:
				failed++
			}
		}
		if live > 0 {
			n := int(c.rr.Add(1) % uint32(live))
			for _, l := range c.links {
				if !l.dead && l.up > 0 {
					if n == 0 {
						c.mu.Unlock()
						return l, nil
					}
					n--
				}
			}
		}
		if dead == len(c.links) {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if dead+failed == len(c.links) {
			err := c.failuresLocked()
			c.mu.Unlock()
			return nil, err
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, c.noServer(ctx.Err())
		}
	}
}

// failuresLocked returns the last failure of every link that has one, as
// *ConnError values joined. c.mu is held.
func (c *Client) failuresLocked() error {
	var errs []error
	for _, l := range c.links {
		if l.lastErr != nil {
			errs = append(errs, &ConnError{Endpoint: cmp.Or(l.endpoint, l.lastEP), Err: l.lastErr})
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fmt.Errorf("no server reachable: %w", errors.Join(errs...))
}

// noServer is the error of a request whose context ended before any
// server was up: still connecting, or failing (a client that waits).
func (c *Client) noServer(cause error) error {
	c.mu.Lock()
	failures := c.failuresLocked()
	var shaking []string
	for _, l := range c.links {
		if l.shaking && !l.dead && l.up == 0 {
			shaking = append(shaking, cmp.Or(l.endpoint, "the server"))
		}
	}
	c.mu.Unlock()
	eps := strings.Join(c.endpoints, ", ")
	if eps == "" {
		eps = "the server"
	}
	switch {
	case len(shaking) > 0:
		return fmt.Errorf("%w: connected to %s, but the handshake did not complete (is it a zmesh or ZeroMQ server, on the right port?): %w",
			ErrUnreachable, strings.Join(shaking, ", "), cause)
	case failures != nil:
		return fmt.Errorf("%w: no connection to %s came up: %w (last failure: %w)", ErrUnreachable, eps, cause, failures)
	}
	return fmt.Errorf("%w: no connection to %s came up (still connecting): %w", ErrUnreachable, eps, cause)
}

// explainWait says what a request's wait for its answer ending with err
// means: for a deadline, that the server took the request and did not
// answer.
func explainWait(err error, l *link, begin time.Time) error {
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	who := l.endpoint
	if who == "" {
		who = "the server"
	}
	return fmt.Errorf("%s took the request but did not answer within %v: %w", who, time.Since(begin).Round(time.Millisecond), err)
}
