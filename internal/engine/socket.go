package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/internal/ctxstate"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/transport"
)

// Type tells the engine one socket type's wire rules. The routing policy
// itself lives in the patterns package.
type Type struct {
	// Name is the Socket-Type sent in READY, e.g. "CLIENT".
	Name string
	// Peer is the only compatible peer type, e.g. "SERVER".
	Peer string
	// SendGroup: outgoing messages are a group frame then a body (RADIO).
	SendGroup bool
	// RecvGroup: incoming messages are a group frame then a body (DISH).
	RecvGroup bool
	// DropIncoming: data from peers is read and discarded (RADIO, SCATTER).
	DropIncoming bool
	// KeepDisconnected: a connecting socket keeps its pipe (and what is
	// queued on it) while the link is down. True for every type but DISH and
	// RADIO, which lose nothing by starting afresh.
	KeepDisconnected bool
	// Peers, if not empty, are the compatible peer types (the classic
	// types talk to several); Peer is then unused.
	Peers []string
	// Multipart: messages may have several frames (the classic types);
	// the others drop multipart messages whole.
	Multipart bool
	// SendIdentity: READY carries an Identity property, the socket's
	// Options.RoutingID (REQ, DEALER, ROUTER).
	SendIdentity bool
	// DupConnect: a second Connect to an endpoint already connected is a
	// no-op that succeeds (libzmq's DEALER, SUB, PUB and REQ over tcp and
	// ipc); otherwise it fails with socket.ErrInvalidInput.
	DupConnect bool
	// SubCommands: SUBSCRIBE and CANCEL commands arrive as the
	// single-frame messages 0x01+topic and 0x00+topic (PUB, XPUB), as a
	// ZMTP 3.0 peer sends them.
	SubCommands bool
}

// accepts reports whether a peer of type name is compatible.
func (t *Type) accepts(name string) bool {
	if len(t.Peers) == 0 {
		return strings.EqualFold(name, t.Peer)
	}
	for _, p := range t.Peers {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}

// peerNames is the compatible types, for errors.
func (t *Type) peerNames() string {
	if len(t.Peers) == 0 {
		return t.Peer
	}
	return strings.Join(t.Peers, " or ")
}

// Interceptor is implemented by a Handler that must see each incoming
// message before it is queued (on the connection's reader goroutine, or
// the inproc sender's, with no engine lock held): to check its shape,
// take subscriptions out of the stream, filter, or rewrite it (m may be
// changed; the pointer is valid only during the call, as inproc deliveries
// reuse it). keep false drops it; an error closes the connection (it is
// reported as socket.ErrProtocol).
type Interceptor interface {
	Intercept(p *Pipe, m *socket.Msg) (keep bool, err error)
}

// Handler receives the events a routing policy needs. Its methods are
// called from connection goroutines and must not block.
type Handler interface {
	// PeerUp: a connection's handshake completed on p (also after each
	// reconnect of a connecting pipe).
	PeerUp(p *Pipe)
	// PeerDown: p's connection ended; detached is true if the pipe is gone
	// for good.
	PeerDown(p *Pipe, detached bool)
	// Command: a command other than PING/PONG/ERROR arrived on p (JOIN,
	// LEAVE, ...). body is the whole command and is valid only during the
	// call. An error closes p's connection with that reason.
	Command(p *Pipe, body []byte) error
}

// Socket is the engine under every socket type: endpoints, connections,
// pipes, the fair-queued incoming side and the blocking rules of sends. It
// is safe for concurrent use.
type Socket struct {
	ctx     *ctxstate.State
	ctxDown <-chan struct{} // ctx.Down()
	pooled  [2]socket.Msg   // ctx.Pooled(): Msgs with only the pooled mark, for bodyClass and bodySlab
	typ     Type
	opts    socket.Options
	handler Handler
	icept   Interceptor // handler, if it is one
	filter  func(group string) bool
	// log is logBase with the socket's type, made on first use (see
	// logger): With costs more than the rest of a socket's construction,
	// and most sockets never log.
	logBase *slog.Logger
	logOnce sync.Once
	log     *slog.Logger

	sendTimeout atomic.Int64
	recvTimeout atomic.Int64
	sendWaiters atomic.Int32 // sends blocked in waitSend (Blocked)
	inprocUsed  atomic.Bool  // an inproc link was made: Recv spins before it sleeps

	// pipes is the attached pipes, copy-on-write, read without a lock by
	// senders choosing a peer.
	pipes     atomic.Pointer[[]*Pipe]
	rr        atomic.Uint32
	sendReady signal
	in        fairQueue
	// drained is broadcast when a pipe may have stopped being busy (its
	// writer went idle, its connection ended, it closed): Close's linger
	// waits on it.
	drained signal

	idMu   sync.RWMutex // guards byID (read per routed message)
	byID   map[socket.RoutingID]*Pipe
	nextID uint32 // guarded by mu

	mu        sync.Mutex // guards everything below
	endpoints map[string]*endpoint
	conns     map[*conn]struct{}
	perAddr   map[string]int // accepted tcp connections by source IP (MaxConnectionsPerAddress)
	last      string
	monitor   chan socket.Event // made by the first Monitor call
	early     []socket.Event    // events before that call, at most monitorBuffer
	monClosed bool              // Close has closed the monitor
	groups    map[string]string // interned group names (DISH)
	closed    bool
	// reaping: Close has lingered and taken the connections to close;
	// a connect completing now must not add one (it would never be
	// closed). Until then connects go on, so lingering messages still
	// reach a peer that comes up meanwhile.
	reaping bool

	done   chan struct{} // closed by Close
	wg     sync.WaitGroup
	cancel context.CancelFunc
	bg     context.Context
}

// endpoint is one bind or connect.
type endpoint struct {
	name   string
	bind   bool
	ln     net.Listener   // stream bind
	cancel func()         // stops the dial loop
	pipe   *Pipe          // connect side
	inproc *inprocConnect // pending inproc connect
}

// New returns a socket of type typ in ctx (DefaultCtx if nil). handler may
// be nil. socket.Options are copied.
func New(ctx *socket.Ctx, typ Type, opts socket.Options, handler Handler) (*Socket, error) {
	if ctx == nil {
		ctx = socket.DefaultCtx()
	}
	st := (*ctxstate.State)(ctx)
	o, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Socket{
		ctx:       st,
		ctxDown:   st.Down(),
		typ:       typ,
		opts:      o,
		handler:   handler,
		byID:      make(map[socket.RoutingID]*Pipe),
		nextID:    rand.Uint32(),
		endpoints: make(map[string]*endpoint),
		conns:     make(map[*conn]struct{}),
		perAddr:   make(map[string]int),
		done:      make(chan struct{}),
		bg:        bg,
		cancel:    cancel,
	}
	s.icept, _ = handler.(Interceptor)
	s.logBase = o.Logger
	if s.logBase == nil {
		s.logBase = st.Log()
	}
	s.sendTimeout.Store(int64(o.SendTimeout))
	s.recvTimeout.Store(int64(o.RecvTimeout))
	s.in.init()
	empty := []*Pipe{}
	s.pipes.Store(&empty)
	s.pooled, _ = st.Pooled().([2]socket.Msg)
	if !st.Add(s) {
		cancel()
		return nil, socket.ErrInvalidCtx
	}
	return s, nil
}

// logger returns the socket's logger.
func (s *Socket) logger() *slog.Logger {
	s.logOnce.Do(func() { s.log = s.logBase.With("socket", s.typ.Name) })
	return s.log
}

// SetFilter installs a predicate on the group of incoming messages: those it
// refuses are dropped before they are queued (DISH's membership). Call it
// before binding or connecting.
func (s *Socket) SetFilter(f func(group string) bool) { s.filter = f }

// Type returns the socket's type.
func (s *Socket) Type() Type { return s.typ }

// socket.Options returns the socket's options with defaults filled in.
func (s *Socket) Options() socket.Options { return s.opts }

// SetSendTimeout changes the send timeout (0: none).
func (s *Socket) SetSendTimeout(d time.Duration) { s.sendTimeout.Store(int64(max(d, 0))) }

// SetRecvTimeout changes the receive timeout (0: none).
func (s *Socket) SetRecvTimeout(d time.Duration) { s.recvTimeout.Store(int64(max(d, 0))) }

// LastEndpoint is the endpoint of the most recent bind or connect, with an
// ephemeral port or ipc://* resolved. It fails with socket.ErrNotFound if there was
// none.
func (s *Socket) LastEndpoint() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == "" {
		return "", socket.ErrNotFound
	}
	return s.last, nil
}

// Pipes returns the attached pipes. The slice must not be modified.
func (s *Socket) Pipes() []*Pipe { return *s.pipes.Load() }

// PipeByID returns the pipe with routing id id, or nil.
func (s *Socket) PipeByID(id socket.RoutingID) *Pipe {
	s.idMu.RLock()
	p := s.byID[id]
	s.idMu.RUnlock()
	return p
}

// checkPeer enforces the socket-type rule on a peer's properties.
func (s *Socket) checkPeer(md mechanism.Metadata) error {
	st, ok := md.Get("Socket-Type")
	if !ok {
		return mechanism.Protocolf("peer sent no Socket-Type")
	}
	if !s.typ.accepts(st) {
		return mechanism.Protocolf("incompatible socket type %q (a %s talks only to a %s)", sanitizeType(st), s.typ.Name, s.typ.peerNames())
	}
	return nil
}

func sanitizeType(st string) string {
	if len(st) > 32 {
		st = st[:32]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, st)
}

// intern returns the group named by b as a string, allocating only the first
// time a name is seen (bounded: after 4096 names it stops remembering).
func (s *Socket) intern(b []byte) string {
	s.mu.Lock()
	g, ok := s.groups[string(b)]
	if !ok {
		g = string(b)
		if s.groups == nil {
			s.groups = make(map[string]string)
		}
		if len(s.groups) < 4096 {
			s.groups[g] = g
		}
	}
	s.mu.Unlock()
	return g
}

// attach gives p a routing id and makes it a target for sends.
func (s *Socket) attach(p *Pipe) {
	s.mu.Lock()
	s.idMu.Lock()
	for {
		s.nextID++
		if s.nextID != 0 && s.byID[socket.RoutingID(s.nextID)] == nil {
			break
		}
	}
	p.id = socket.RoutingID(s.nextID)
	s.byID[p.id] = p
	s.idMu.Unlock()
	old := *s.pipes.Load()
	next := make([]*Pipe, len(old), len(old)+1)
	copy(next, old)
	next = append(next, p)
	s.pipes.Store(&next)
	s.mu.Unlock()
	s.sendReady.broadcast()
}

// detach removes p for good: sends to its routing id fail from now on.
func (s *Socket) detach(p *Pipe) {
	s.mu.Lock()
	s.idMu.Lock()
	if s.byID[p.id] != p {
		s.idMu.Unlock()
		s.mu.Unlock()
		return
	}
	delete(s.byID, p.id)
	s.idMu.Unlock()
	old := *s.pipes.Load()
	next := make([]*Pipe, 0, len(old))
	for _, x := range old {
		if x != p {
			next = append(next, x)
		}
	}
	s.pipes.Store(&next)
	s.mu.Unlock()
	p.close()
}

// Wake unblocks the socket's blocked calls, so they see that the Ctx was
// shut down (ctxstate.Member).
func (s *Socket) Wake() {
	s.in.signal()
	s.sendReady.broadcast()
}

// bodyFrom says where a received body's memory came from, for
// Msg.Release.
type bodyFrom uint8

const (
	bodyOwn   bodyFrom = iota // memory of its own (or the sender's), left to the GC
	bodyClass                 // bodypool.New
	bodySlab                  // bodypool.Slab.Carve, the body ending where its carving did
)

// received builds a received message. from says whether its body came
// from internal/bodypool, which Msg.Release may give back.
func (s *Socket) received(body []byte, id socket.RoutingID, group string, peer *socket.Peer, from bodyFrom) socket.Msg {
	var m socket.Msg
	if from != bodyOwn {
		m = s.pooled[from-1]
	}
	m.Body, m.RoutingID, m.Group, m.Peer = body, id, group, peer
	return m
}

// Joined returns m with its Tail appended to a copy of its Body, for paths
// that hand the message on whole (inproc, udp, a codec sealing one body, an
// interceptor that must see a received message as Recv returns it).
func Joined(m socket.Msg) socket.Msg {
	if len(m.Tail) == 0 {
		m.Tail = nil
		return m
	}
	b := make([]byte, 0, len(m.Body)+len(m.Tail))
	m.Body, m.Tail = append(append(b, m.Body...), m.Tail...), nil
	return m
}

// closedErr is what calls return once the socket or its Ctx is closed.
func (s *Socket) closedErr() error {
	if s.ctx.IsShutdown() {
		return socket.ErrInvalidCtx
	}
	return socket.ErrClosed
}

// IsClosed reports whether Close has been called.
func (s *Socket) IsClosed() bool { return s.isClosed() }

func (s *Socket) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Bind listens on ep. For tcp and ipc the listener is up when Bind returns.
func (s *Socket) Bind(ep string) error {
	e, err := transport.ParseEndpoint(ep)
	if err != nil {
		return fmt.Errorf("%w: %w", socket.ErrInvalidInput, err)
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return s.closedErr()
	}
	switch e.Scheme {
	case transport.Inproc:
		return s.bindInproc(e)
	case transport.UDP:
		return s.bindUDP(e)
	}
	ln, bound, err := transport.Listen(s.bg, e)
	if err != nil {
		s.event(socket.EventBindFailed, ep, "", err)
		return err
	}
	name := bound.String()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return s.closedErr()
	}
	s.endpoints[name] = &endpoint{name: name, bind: true, ln: ln}
	s.last = name
	s.wg.Add(1)
	s.mu.Unlock()
	s.event(socket.EventListening, name, "", nil)
	go s.acceptLoop(ln, name)
	return nil
}

// acceptLoop accepts connections until the listener closes. The
// goroutine that accepts a connection serves it, and a new one takes over
// accepting: the handshake starts at once, not after the next Accept has
// found nothing and parked (leader and followers).
func (s *Socket) acceptLoop(ln net.Listener, name string) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, keep serving.
			s.event(socket.EventAcceptFailed, name, "", err)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
			case <-s.done:
				return
			}
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		if s.opts.MaxConnections > 0 && len(s.conns) >= s.opts.MaxConnections {
			s.mu.Unlock()
			_ = nc.Close()
			s.event(socket.EventAcceptFailed, name, nc.RemoteAddr().String(), socket.ErrSocketLimit)
			continue
		}
		addr := sourceIP(nc)
		if n := s.opts.MaxConnectionsPerAddress; n > 0 && addr != "" && s.perAddr[addr] >= n {
			s.mu.Unlock()
			_ = nc.Close()
			s.event(socket.EventAcceptFailed, name, nc.RemoteAddr().String(),
				fmt.Errorf("%w: %d connections from %s already (MaxConnectionsPerAddress)", socket.ErrSocketLimit, n, addr))
			continue
		}
		c := newConn(s, nc, name, true)
		s.conns[c] = struct{}{}
		if addr != "" {
			c.addr = addr
			s.perAddr[addr]++
		}
		s.wg.Add(1) // the next acceptor
		s.mu.Unlock()
		// The next acceptor starts once our greeting is out: starting a
		// goroutine wakes a thread, which need not delay the greeting.
		c.afterGreeting = func() { go s.acceptLoop(ln, name) }
		s.event(socket.EventAccepted, name, c.remote(), nil)
		s.runAccepted(c)
		return
	}
}

// runAccepted runs one accepted connection: handshake, then the link on a
// pipe of its own that lives as long as the connection.
func (s *Socket) runAccepted(c *conn) {
	err := c.handshake(s.bg)
	c.greeted() // if the handshake failed before its greeting went out
	if err != nil {
		c.failGently(err)
		s.forget(c)
		s.event(socket.EventHandshakeFailed, c.endpoint, c.remote(), err)
		return
	}
	s.runLink(c, newPipe(s, c.endpoint), false)
}

// runLink is a connection's life once its handshake has succeeded, the
// same for accepted and dialled ones: the pipe goes up (its peer and
// connection set, attached unless keep, EventHandshakeSucceeded, the
// handler's PeerUp), the connection serves it until it fails, and the pipe
// goes down (connection cleared, detached unless keep, PeerDown,
// EventDisconnected). keep: the pipe is already attached and outlives the
// connection (a connecting pipe that keeps its queue across reconnects).
// It returns why the connection ended.
func (s *Socket) runLink(c *conn, p *Pipe, keep bool) error {
	remote := c.remote()
	p.up(c)
	if !keep {
		s.attach(p)
	}
	s.event(socket.EventHandshakeSucceeded, c.endpoint, remote, nil)
	if s.handler != nil {
		s.handler.PeerUp(p)
	}
	err := c.serve(p)
	p.down()
	s.forget(c)
	if !keep {
		s.detach(p)
	}
	if s.handler != nil {
		s.handler.PeerDown(p, !keep)
	}
	s.event(socket.EventDisconnected, c.endpoint, remote, err)
	return err
}

func (s *Socket) forget(c *conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok && c.addr != "" {
		if s.perAddr[c.addr]--; s.perAddr[c.addr] <= 0 {
			delete(s.perAddr, c.addr)
		}
	}
	delete(s.conns, c)
	s.mu.Unlock()
}

// sourceIP is the key MaxConnectionsPerAddress counts an accepted
// connection under: its peer's IP for tcp (an IPv4-mapped IPv6 address
// counts as the IPv4 one), "" (not counted) for ipc.
func sourceIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		if ip4 := a.IP.To4(); ip4 != nil {
			return ip4.String()
		}
		return a.IP.String()
	}
	return ""
}

// Connect connects to ep in the background, reconnecting as the options
// say. Messages sent meanwhile are queued for the peer (up to SendHWM)
// unless Immediate is set.
func (s *Socket) Connect(ep string) error {
	e, err := transport.ParseEndpoint(ep)
	if err != nil {
		return fmt.Errorf("%w: %w", socket.ErrInvalidInput, err)
	}
	switch e.Scheme {
	case transport.Inproc:
		return s.connectInproc(e)
	case transport.UDP:
		return s.connectUDP(e)
	}
	if (e.Scheme == transport.TCP && (e.Port == 0 || e.Host == "*")) || e.Path == "*" {
		return fmt.Errorf("%w: cannot connect to wildcard endpoint %s", socket.ErrInvalidInput, ep)
	}
	name := e.String()
	p := newPipe(s, name)
	ctx, cancel := context.WithCancel(s.bg)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return s.closedErr()
	}
	if x, dup := s.endpoints[name]; dup {
		s.mu.Unlock()
		cancel()
		if s.typ.DupConnect && !x.bind {
			return nil
		}
		return fmt.Errorf("%w: already connected to %s", socket.ErrInvalidInput, name)
	}
	s.endpoints[name] = &endpoint{name: name, cancel: cancel, pipe: p}
	s.last = name
	s.wg.Add(1)
	s.mu.Unlock()
	if !s.opts.Immediate && s.typ.KeepDisconnected {
		s.attach(p)
	}
	go s.dialLoop(ctx, e, p)
	return nil
}

// dialLoop connects, serves, and reconnects with backoff until the socket
// closes, the endpoint is disconnected, or a failure that would only
// repeat ends it (libzmq stops reconnecting after those; see stopReason).
func (s *Socket) dialLoop(ctx context.Context, e transport.Endpoint, p *Pipe) {
	defer s.wg.Done()
	name := e.String()
	ivl := s.opts.ReconnectInterval
	attached := !s.opts.Immediate && s.typ.KeepDisconnected
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		if attached {
			s.detach(p)
		} else {
			p.close()
		}
	}
	defer release()
	for {
		dctx := ctx
		var cancel context.CancelFunc = func() {}
		if s.opts.ConnectTimeout > 0 {
			dctx, cancel = context.WithTimeout(ctx, s.opts.ConnectTimeout)
		}
		nc, err := transport.Dial(dctx, e)
		cancel()
		var stop error // why not to reconnect, if so
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.event(socket.EventConnectFailed, name, "", err)
		} else {
			c := newConn(s, nc, name, false)
			s.mu.Lock()
			// Once Close reaps, or Disconnect has removed the endpoint,
			// nothing would close this connection: it must not start
			// (the handshake does not watch ctx, see conn.handshake).
			if x := s.endpoints[name]; s.reaping || x == nil || x.pipe != p {
				s.mu.Unlock()
				_ = nc.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			remote := c.remote()
			s.event(socket.EventConnected, name, remote, nil)
			if err = c.handshake(ctx); err != nil {
				c.fail(err)
				s.forget(c)
				s.event(socket.EventHandshakeFailed, name, remote, err)
				stop = stopReason(err, true)
			} else {
				ivl = s.opts.ReconnectInterval
				err = s.runLink(c, p, attached)
				if !attached {
					p = s.renewPipe(p)
				}
				stop = stopReason(err, false)
			}
		}
		if ctx.Err() != nil {
			return
		}
		if stop == nil && s.opts.ReconnectInterval < 0 {
			stop = errors.New("not reconnecting (reconnection is off: ReconnectInterval < 0)")
			if err != nil {
				stop = fmt.Errorf("%w: %w", stop, err)
			}
		}
		if stop != nil {
			// Nothing queued for this endpoint can ever be delivered: let
			// the pipe go now, so sends stop choosing it, and only then
			// say so (a watcher of the monitor may send at once).
			release()
			s.event(socket.EventConnectStopped, name, "", stop)
			<-ctx.Done()
			return
		}
		wait := ivl
		if s.opts.ReconnectIntervalMax > s.opts.ReconnectInterval {
			ivl = min(2*ivl, s.opts.ReconnectIntervalMax)
		} else {
			wait += rand.N(ivl)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		s.event(socket.EventConnectRetried, name, "", nil)
	}
}

// stopReason says why a connection's failure (err, from its handshake or,
// if not handshake, from serving it) means the endpoint must not be
// reconnected, as an error for EventConnectStopped that wraps err; nil
// means reconnecting may work. In the handshake:
//   - a misconfigured mechanism (missing or mismatched keys) fails the same
//     way every time;
//   - the peer refused us with an ERROR command the mechanism marks final;
//   - any other failure the mechanism marks final (not Retry): the peer
//     broke ZMTP, or is of a type we cannot talk to.
//
// On a live connection: the peer sent an ERROR command, or broke ZMTP.
func stopReason(err error, handshake bool) error {
	var he *mechanism.HandshakeError
	var why string
	switch {
	case err == nil:
		return nil
	case handshake && (errors.Is(err, mechanism.ErrInvalidConfig) || errors.Is(err, mechanism.ErrInvalidKey)):
		why = "mechanism misconfigured"
	case handshake && errors.As(err, &he) && !he.Retry && he.Remote:
		why = "peer sent ERROR in the handshake"
	case handshake && errors.As(err, &he) && !he.Retry:
		why = "handshake failed"
	case handshake:
		return nil
	case errors.Is(err, errPeerSentError):
		why = "peer sent ERROR"
	case errors.Is(err, socket.ErrProtocol):
		why = "protocol error"
	default:
		return nil
	}
	return fmt.Errorf("not reconnecting (%s): %w", why, err)
}

// renewPipe replaces a detached connecting pipe with a fresh one for the
// next connection (used when pipes do not outlive their links).
func (s *Socket) renewPipe(old *Pipe) *Pipe {
	p := newPipe(s, old.endpoint)
	s.mu.Lock()
	if ep := s.endpoints[old.endpoint]; ep != nil && ep.pipe == old {
		ep.pipe = p
	}
	s.mu.Unlock()
	return p
}

// Unbind stops listening on ep (as returned by LastEndpoint for wildcard
// binds). Connections already accepted stay up.
func (s *Socket) Unbind(ep string) error {
	return s.removeEndpoint(ep, true)
}

// Disconnect stops connecting to ep and closes its connection; messages
// still queued for it are dropped.
func (s *Socket) Disconnect(ep string) error {
	return s.removeEndpoint(ep, false)
}

func (s *Socket) removeEndpoint(ep string, bind bool) error {
	name := ep
	if e, err := transport.ParseEndpoint(ep); err == nil {
		name = e.String()
	}
	s.mu.Lock()
	x, ok := s.endpoints[name]
	if !ok || x.bind != bind {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s", socket.ErrNotFound, ep)
	}
	delete(s.endpoints, name)
	var victims []*conn
	if !bind {
		for c := range s.conns {
			if c.endpoint == name && !c.accepted {
				victims = append(victims, c)
			}
		}
	}
	s.mu.Unlock()
	s.stopEndpoint(x)
	for _, c := range victims {
		c.fail(socket.ErrClosed)
	}
	return nil
}

func (s *Socket) stopEndpoint(x *endpoint) {
	if x.ln != nil {
		_ = x.ln.Close()
	}
	if x.cancel != nil {
		x.cancel()
	}
	if x.inproc != nil {
		x.inproc.stop()
	}
}

// Close closes the socket: after the linger period (see socket.Options.Linger)
// every connection is closed, every blocked call returns socket.ErrClosed, and
// every goroutine the socket started has ended when Close returns.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.linger()
	s.mu.Lock()
	s.reaping = true
	eps := s.endpoints
	s.endpoints = map[string]*endpoint{}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	close(s.done)
	s.cancel()
	for _, x := range eps {
		s.stopEndpoint(x)
	}
	for _, c := range conns {
		c.stop(socket.ErrClosed) // their goroutines close them; wg waits for those
	}
	s.in.shutdown()
	s.in.signal()
	s.sendReady.broadcast()
	// Inproc peers see us go.
	for _, p := range s.Pipes() {
		if t := p.target.Load(); t != nil {
			t.s.detachInproc(t)
		}
		s.detach(p)
	}
	s.wg.Wait()
	s.ctx.Remove(s)
	s.mu.Lock()
	mon := s.monitor
	s.monitor, s.early, s.monClosed = nil, nil, true
	s.mu.Unlock()
	if mon != nil {
		close(mon)
	}
	return nil
}

// linger waits, within the linger period, for the pipes to be written out.
// It looks again each time drained is broadcast; taking the signal's
// channel before looking means no change between the look and the wait is
// missed.
func (s *Socket) linger() {
	d := s.opts.Linger
	if d == 0 {
		return
	}
	t, expired := timeout(d) // d < 0: linger without end
	defer stopTimer(t)
	for {
		drained := s.drained.wait()
		if !s.busy() {
			return
		}
		select {
		case <-drained:
		case <-expired:
			return
		case <-s.ctxDown:
			return
		}
	}
}

// busy reports whether a pipe with a connection (not inproc, whose sends
// are delivered at once) still holds messages to write.
func (s *Socket) busy() bool {
	for _, p := range s.Pipes() {
		if p.target.Load() == nil && p.busy() {
			return true
		}
	}
	return false
}
