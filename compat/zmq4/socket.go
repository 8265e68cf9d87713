package zmq4

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// Socket is a ZeroMQ socket, zmq4's interface: a bridge socket backed by a
// zmesh patterns socket of the same type.
type Socket interface {
	// Close closes the socket; messages still queued get Linger (2 s by
	// default) to go out.
	Close() error
	// Send sends msg's frames as one message, blocking (at most the
	// WithTimeout time) until it can be queued.
	Send(msg Msg) error
	// SendMulti is Send: both send every frame of msg as one multipart
	// message.
	SendMulti(msg Msg) error
	// Recv receives the next message, blocking until one arrives or the
	// socket's context ends.
	Recv() (Msg, error)
	// Listen binds the socket to a local endpoint (tcp://, ipc://,
	// inproc://).
	Listen(ep string) error
	// Dial connects the socket to a remote endpoint and, for tcp and ipc,
	// waits until the connection's handshake succeeded or the dialer's
	// retries are spent.
	Dial(ep string) error
	// Type returns the socket's type.
	Type() SocketType
	// Addr returns the address of the last Listen, or nil if the socket
	// has not listened.
	Addr() net.Addr
	// GetOption returns the value last set for an option name.
	GetOption(name string) (any, error)
	// SetOption sets an option (OptionSubscribe, OptionUnsubscribe,
	// OptionHWM).
	SetOption(name string, value any) error
}

// zsock is what the bridge needs of every patterns socket.
type zsock interface {
	patterns.Pollable
	Bind(endpoint string) error
	Connect(endpoint string) error
	Disconnect(endpoint string) error
	Close() error
	LastEndpoint() (string, error)
	Monitor() <-chan socket.Event
}

type (
	frameSender   = patterns.FrameSender
	frameReceiver = patterns.FrameReceiver
	subscriber    interface {
		Subscribe(prefix []byte) error
		Unsubscribe(prefix []byte) error
	}
)

// NewReq returns a REQ socket. ctx is its life line: when it ends the
// socket closes.
func NewReq(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Req, opts) }

// NewRep returns a REP socket (see NewReq about ctx).
func NewRep(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Rep, opts) }

// NewDealer returns a DEALER socket (see NewReq about ctx).
func NewDealer(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Dealer, opts) }

// NewRouter returns a ROUTER socket (see NewReq about ctx). A received
// message's first frame is the sender's identity; a message sent starts
// with the identity of the peer it goes to.
func NewRouter(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Router, opts) }

// NewPub returns a PUB socket (see NewReq about ctx).
func NewPub(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Pub, opts) }

// NewSub returns a SUB socket (see NewReq about ctx); it receives nothing
// until subscribed (SetOption(OptionSubscribe, prefix)).
func NewSub(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Sub, opts) }

// NewXPub returns an XPUB socket (see NewReq about ctx).
func NewXPub(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, XPub, opts) }

// NewXSub returns an XSUB socket (see NewReq about ctx).
func NewXSub(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, XSub, opts) }

// NewPush returns a PUSH socket (see NewReq about ctx).
func NewPush(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Push, opts) }

// NewPull returns a PULL socket (see NewReq about ctx).
func NewPull(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Pull, opts) }

// NewPair returns a PAIR socket (see NewReq about ctx).
func NewPair(ctx context.Context, opts ...Option) Socket { return newBridge(ctx, Pair, opts) }

// bridge is every Socket. The zmesh socket is made at the first Listen or
// Dial (or Send or Recv), because a zmq4 Security's role depends on
// which comes first.
type bridge struct {
	typ  SocketType
	cfg  config
	ctx  context.Context
	stop func() bool // stops closing the socket when ctx ends

	dialMu sync.Mutex // one Dial at a time watches the monitor

	mu       sync.Mutex
	s        zsock
	mon      <-chan socket.Event
	closed   bool
	hwm      int
	props    map[string]any
	topics   map[string]struct{} // SUB, XSUB: the subscriptions
	listened net.Addr
}

func newBridge(ctx context.Context, typ SocketType, opts []Option) *bridge {
	if ctx == nil {
		ctx = context.Background()
	}
	b := &bridge{
		typ:   typ,
		cfg:   config{retry: defaultRetry, maxRetries: defaultMaxRetries, timeout: defaultTimeout},
		ctx:   ctx,
		props: map[string]any{},
	}
	for _, o := range opts {
		if o != nil {
			o(&b.cfg)
		}
	}
	if typ == Sub || typ == XSub {
		b.topics = map[string]struct{}{}
	}
	b.stop = context.AfterFunc(ctx, func() { _ = b.Close() })
	return b
}

// errClosed is what operations on a closed bridge socket return.
var errClosed = fmt.Errorf("%w (%w)", ErrClosedConn, socket.ErrClosed)

// sock returns the zmesh socket, making it for the given role if need be.
func (b *bridge) sock(server bool) (zsock, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errClosed
	}
	if b.s != nil {
		return b.s, nil
	}
	s, err := b.make(server)
	if err != nil {
		return nil, fmt.Errorf("zmq4: %s socket: %w", b.typ, err)
	}
	for t := range b.topics {
		if err := s.(subscriber).Subscribe([]byte(t)); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("zmq4: subscribe %q: %w", t, err)
		}
	}
	b.s, b.mon = s, s.Monitor()
	return s, nil
}

// options makes the zmesh options of the bridge's configuration.
func (b *bridge) options(server bool) (socket.Options, error) {
	o := socket.Options{
		SendHWM:           b.hwm,
		RecvHWM:           b.hwm,
		Linger:            defaultLinger,
		SendTimeout:       b.cfg.timeout,
		ReconnectInterval: b.cfg.retry,
		ConnectTimeout:    b.cfg.dialTimeout,
		Logger:            b.cfg.logger,
	}
	if len(b.cfg.id) > 0 {
		o.RoutingID = []byte(b.cfg.id)
	}
	if b.cfg.sec != nil {
		m, auth, err := b.cfg.sec.Mechanism(server)
		if err != nil {
			return o, err
		}
		o.Mechanism, o.Auth = m, auth
	}
	for _, f := range b.cfg.tweaks {
		f(&o)
	}
	return o, nil
}

// make makes the zmesh socket of the bridge's type.
func (b *bridge) make(server bool) (zsock, error) {
	o, err := b.options(server)
	if err != nil {
		return nil, err
	}
	zc := b.cfg.zctx
	if zc == nil {
		zc = socket.DefaultCtx()
	}
	if mk, ok := makers[b.typ]; ok {
		return mk(zc, o)
	}
	return nil, fmt.Errorf("%w: unknown socket type %q", socket.ErrInvalidInput, b.typ)
}

// maker makes the zmesh socket of one type.
type maker func(*socket.Ctx, socket.Options) (zsock, error)

// makers maps each socket type to its patterns constructor.
var makers = map[SocketType]maker{
	Req: mk(patterns.NewReq), Rep: mk(patterns.NewRep),
	Dealer: mk(patterns.NewDealer), Router: mk(patterns.NewRouter),
	Pub: mk(patterns.NewPub), Sub: mk(patterns.NewSub),
	XPub: mk(patterns.NewXPub), XSub: mk(patterns.NewXSub),
	Push: mk(patterns.NewPush), Pull: mk(patterns.NewPull),
	Pair: mk(patterns.NewPair),
}

// mk turns a patterns constructor into a maker (no typed nil on error).
func mk[T zsock](f func(*socket.Ctx, socket.Options) (T, error)) maker {
	return func(zc *socket.Ctx, o socket.Options) (zsock, error) {
		s, err := f(zc, o)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// Close implements Socket.
func (b *bridge) Close() error {
	b.stop()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	s := b.s
	b.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Close()
}

// Send implements Socket.
func (b *bridge) Send(msg Msg) error {
	if len(msg.Frames) == 0 {
		return fmt.Errorf("%w: a message needs at least one frame", ErrBadFrame)
	}
	s, err := b.sock(false)
	if err != nil {
		return err
	}
	snd, ok := s.(frameSender)
	if !ok {
		return fmt.Errorf("%w: a %s socket cannot send", socket.ErrInvalidInput, b.typ)
	}
	return b.fail(snd.SendFrames(b.ctx, msg.Frames...)) // bounded by SendTimeout
}

// SendMulti implements Socket.
func (b *bridge) SendMulti(msg Msg) error { return b.Send(msg) }

// Recv implements Socket.
func (b *bridge) Recv() (Msg, error) {
	s, err := b.sock(false)
	if err != nil {
		return Msg{err: err}, err
	}
	rcv, ok := s.(frameReceiver)
	if !ok {
		err := fmt.Errorf("%w: a %s socket cannot receive", socket.ErrInvalidInput, b.typ)
		return Msg{err: err}, err
	}
	frames, err := rcv.RecvFrames(b.ctx)
	if err != nil {
		err = b.fail(err)
		return Msg{err: err}, err
	}
	return Msg{Frames: frames}, nil
}

// fail adds ErrClosedConn to an error that says the socket is closed.
func (b *bridge) fail(err error) error {
	if errors.Is(err, socket.ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosedConn, err)
	}
	return err
}

// checkEndpoint checks that ep names a transport the bridge knows.
func checkEndpoint(ep string) (string, error) {
	tr, _, ok := strings.Cut(ep, "://")
	if !ok {
		return "", fmt.Errorf("zmq4: invalid address %q: %w", ep, socket.ErrInvalidInput)
	}
	switch tr {
	case "tcp", "ipc", "inproc":
		return tr, nil
	}
	return "", UnknownTransportError{Name: tr}
}

// Listen implements Socket.
func (b *bridge) Listen(ep string) error {
	if _, err := checkEndpoint(ep); err != nil {
		return err
	}
	s, err := b.sock(true)
	if err != nil {
		return err
	}
	if err := s.Bind(ep); err != nil {
		return fmt.Errorf("zmq4: could not listen to %q: %w", ep, b.fail(err))
	}
	last, err := s.LastEndpoint()
	if err != nil {
		last = ep
	}
	b.mu.Lock()
	b.listened = endpointAddr(last)
	b.mu.Unlock()
	return nil
}

// Dial implements Socket.
func (b *bridge) Dial(ep string) error {
	tr, err := checkEndpoint(ep)
	if err != nil {
		return err
	}
	s, err := b.sock(false)
	if err != nil {
		return err
	}
	b.dialMu.Lock()
	defer b.dialMu.Unlock()
	b.mu.Lock()
	mon := b.mon
	b.mu.Unlock()
	for len(mon) > 0 { // what happened before this Dial is not its news
		<-mon
	}
	if err := s.Connect(ep); err != nil {
		return fmt.Errorf("zmq4: could not dial to %q: %w", ep, b.fail(err))
	}
	if tr == "inproc" {
		return nil // connects when the peer binds, as libzmq
	}
	if err := b.waitDial(ep, mon); err != nil {
		_ = s.Disconnect(ep)
		return fmt.Errorf("zmq4: could not dial to %q (retry=%v): %w", ep, b.cfg.retry, err)
	}
	return nil
}

// waitDial waits for ep's handshake to succeed, through at most the
// configured number of failed attempts.
func (b *bridge) waitDial(ep string, mon <-chan socket.Event) error {
	failures := 0
	for {
		select {
		case <-b.ctx.Done():
			return b.ctx.Err()
		case ev, ok := <-mon:
			if !ok {
				return errClosed
			}
			if ev.Endpoint != ep {
				continue
			}
			switch ev.Type {
			case socket.EventHandshakeSucceeded:
				return nil
			case socket.EventConnectStopped:
				return ev.Err
			case socket.EventConnectFailed, socket.EventHandshakeFailed:
				failures++
				if b.cfg.maxRetries >= 0 && failures > b.cfg.maxRetries {
					return ev.Err
				}
			}
		}
	}
}

// Type implements Socket.
func (b *bridge) Type() SocketType { return b.typ }

// Addr implements Socket.
func (b *bridge) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.listened
}

// GetOption implements Socket.
func (b *bridge) GetOption(name string) (any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.props[name]
	if !ok {
		return nil, ErrBadProperty
	}
	return v, nil
}

// SetOption implements Socket.
func (b *bridge) SetOption(name string, value any) error {
	switch name {
	case OptionSubscribe, OptionUnsubscribe:
		return b.subscribe(name == OptionSubscribe, value)
	case OptionHWM:
		n, ok := value.(int)
		if !ok {
			return fmt.Errorf("%w: %s takes an int, not %T", ErrBadProperty, name, value)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.s != nil {
			return fmt.Errorf("%w: %s must be set before Listen and Dial", ErrBadProperty, name)
		}
		if n == 0 {
			n = socket.Unlimited // libzmq and zmq4: 0 means no limit
		}
		b.hwm = n
		b.props[name] = value
		return nil
	}
	return fmt.Errorf("%w: %q", ErrBadProperty, name)
}

// subscribe adds or cancels a SUB or XSUB subscription.
func (b *bridge) subscribe(on bool, value any) error {
	var topic string
	switch v := value.(type) {
	case string:
		topic = v
	case []byte:
		topic = string(v)
	default:
		return fmt.Errorf("%w: a subscription is a string or []byte, not %T", ErrBadProperty, value)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.topics == nil {
		return fmt.Errorf("%w: a %s socket has no subscriptions", ErrBadProperty, b.typ)
	}
	if b.closed {
		return errClosed
	}
	if b.s != nil {
		sub := b.s.(subscriber)
		f := sub.Unsubscribe
		if on {
			f = sub.Subscribe
		}
		if err := f([]byte(topic)); err != nil {
			return err
		}
	}
	if on {
		b.topics[topic] = struct{}{}
		b.props[OptionSubscribe] = topic
	} else {
		delete(b.topics, topic)
		b.props[OptionUnsubscribe] = topic
	}
	return nil
}

// Topics returns a SUB or XSUB socket's subscriptions, sorted (nil for the
// other types).
func (b *bridge) Topics() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ts []string
	for t := range b.topics {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// endpointAddr turns a bound endpoint into a net.Addr.
func endpointAddr(ep string) net.Addr {
	tr, rest, _ := strings.Cut(ep, "://")
	switch tr {
	case "tcp":
		if a, err := net.ResolveTCPAddr("tcp", rest); err == nil {
			return a
		}
	case "ipc":
		return &net.UnixAddr{Name: rest, Net: "unix"}
	}
	return inprocAddr(rest)
}

// inprocAddr is the net.Addr of an inproc endpoint.
type inprocAddr string

// Network implements net.Addr.
func (inprocAddr) Network() string { return "inproc" }

// String implements net.Addr.
func (a inprocAddr) String() string { return string(a) }
