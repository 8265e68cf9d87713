package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// DefaultEndpoint is where `zmesh serve` takes requests by default, and
// where the zmesh commands connect.
const DefaultEndpoint = "tcp://127.0.0.1:7447"

// ClientOptions configure a Client. The zero value is usable.
type ClientOptions struct {
	// Ctx is the socket context of the client's sockets (nil:
	// socket.DefaultCtx()).
	Ctx *socket.Ctx
	// Socket are the options of the CLIENT sockets Connect creates (one
	// per endpoint; Connect sets Immediate on them), and of the DISH
	// sockets Watch creates unless FeedSocket is set (heartbeat,
	// mechanism...; Watch keeps only what applies to a DISH).
	Socket socket.Options
	// FeedSocket, if set, are the options of Watch's DISH sockets instead
	// of Socket: a change feed secured unlike the request socket.
	FeedSocket *socket.Options
	// Timeout bounds each request whose context has no deadline; 0 leaves
	// requests to their context alone.
	Timeout time.Duration
	// Feed are the change-feed endpoints Watch connects to; nil means ask
	// the server (see ServerInfo).
	Feed []string
	// WaitForServer makes requests wait, within their context, for a
	// server to come up even when every endpoint's last connection attempt
	// failed. Without it such a request fails at once with the cause
	// (ErrUnreachable, ErrHandshake).
	WaitForServer bool
	// Logger receives the client's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Sample is one stored entry as a query returns it.
type Sample struct {
	// Key is the full key (a storage's strip_prefix put back).
	Key string
	// Value is the payload; the Client copies it out of the message, so it
	// is the caller's.
	Value []byte
	// Encoding describes the value ("text/plain"...), "" if the writer gave
	// none.
	Encoding string
	// Timestamp is when it was written (last writer wins).
	Timestamp hlc.Timestamp
	// Omitted says the value was too large for a wildcard query's answer
	// (over the server's max_value_size) and was left out: Value is nil,
	// Size and Hash describe it, and GetReader of Key reads it.
	Omitted bool
	// Size is the value's size in bytes (for every sample).
	Size int64
	// Hash is the value's BLAKE3-256 hash when Omitted (zero otherwise).
	Hash [32]byte
}

// Client talks to storage servers over CLIENT sockets: Connect makes one
// per endpoint, NewClient takes one the caller made. It is safe for
// concurrent use by any number of goroutines: each request gets its own
// request id, and every answer goes to the call waiting for its id, handed
// on by the goroutine that read it from the connection (Connect's
// sockets), or by a demultiplexer goroutine, owned by the Client and
// stopped by Close, that receives from the caller's socket (NewClient).
// Calls end when their answer is complete or their context is done;
// answers that arrive after a call gave up are dropped.
//
// Each socket's monitor tells the Client which servers are up (their
// handshake done) and why the others are not. A request goes to a server
// that is up (round-robin); while none is, it waits for one within its
// context, or fails at once when every endpoint's last attempt failed
// (ErrUnreachable, ErrHandshake, with the cause). When the connection a
// request went on drops before its answer came, the request is sent again
// to a server that is up (see Put for why a retried write is safe).
type Client struct {
	links     []*link
	zctx      *socket.Ctx
	opts      ClientOptions
	log       *slog.Logger
	endpoints []string   // what Connect was given, for Watch's feed discovery
	clock     *hlc.Clock // stamps writes when there are several links; nil otherwise

	nextID atomic.Uint64
	rr     atomic.Uint32 // round-robin over the links that are up
	// noLast is set once a server refused a QUERY with flag L (one that
	// does not speak it): queries are then sent without it.
	noLast atomic.Bool

	mu      sync.Mutex // guards calls, closed, changed and every link's state
	calls   map[uint64]*call
	closed  bool          // Close was called
	changed chan struct{} // closed (and replaced) whenever a link's state changes

	// epoch is when the Client was made: requests note when they started
	// as time.Since(epoch), which reads one clock where time.Now reads two.
	epoch time.Time

	run  context.Context    // the goroutines' context, ended by Close
	stop context.CancelFunc // ends run
	wg   sync.WaitGroup     // the links' monitor goroutines
}

// call is one request waiting for its answer. route appends
// messages (REPLY copies, then the FINAL) and signals; the caller takes
// them in order. The queue is unbounded so a slow reader of a long query
// never holds up the answers of other calls.
type call struct {
	mu     sync.Mutex
	queue  []proto.Message
	first  [1]proto.Message // queue's first backing array: a write's FINAL needs no allocation
	err    error            // the client closed under the call, or its connection dropped
	signal chan struct{}    // capacity 1: something was queued
	link   *link            // where the request went; guarded by Client.mu
}

// calls recycles the calls that ended with their FINAL. Only those: route
// removes a call from Client.calls before it pushes the FINAL and never
// touches it afterwards but for a signal, which a reused call's next
// takes as a spurious wake-up. A call abandoned (context done) may still
// get a push, so it is left to the garbage collector.
var calls = sync.Pool{New: func() any { return &call{signal: make(chan struct{}, 1)} }}

func newCall() *call {
	k := calls.Get().(*call)
	k.mu.Lock()
	k.queue = k.first[:0]
	k.err = nil
	k.link = nil
	k.mu.Unlock()
	return k
}

// recycle returns a call that ended with its FINAL to the pool.
func recycle(k *call) {
	k.mu.Lock()
	clear(k.first[:])
	k.queue = nil
	k.mu.Unlock()
	calls.Put(k)
}

func (c *call) push(m proto.Message) {
	c.mu.Lock()
	c.queue = append(c.queue, m)
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

func (c *call) fail(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default:
	}
}

// next returns the next message of the answer.
func (c *call) next(ctx context.Context) (proto.Message, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			m := c.queue[0]
			c.queue[0] = proto.Message{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return m, nil
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return proto.Message{}, err
		}
		select {
		case <-c.signal:
		case <-ctx.Done():
			return proto.Message{}, ctx.Err()
		}
	}
}

// Connect creates a Client connected to endpoint, or to several
// endpoints given comma-separated ("tcp://a:7447,tcp://b:7447"): one
// CLIENT socket per endpoint, so that the Client knows which server each
// request went to. Connections are made in the background and remade if
// they drop; requests go to servers whose connection is up. With several
// endpoints the Client stamps its writes with a clock of its own (see
// Put), so that a write retried on another server is the same write.
func Connect(endpoint string, opts ClientOptions) (*Client, error) {
	var eps []string
	for ep := range strings.SplitSeq(endpoint, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("store: connect: no endpoint in %q: %w", endpoint, socket.ErrInvalidInput)
	}
	so := opts.Socket
	so.Immediate = true // a request is queued only on a connection that is up
	c := newClient(opts)
	fail := func(err error) (*Client, error) {
		for _, l := range c.links {
			if l.sock != nil {
				l.sock.Close()
			}
		}
		c.stop()
		return nil, err
	}
	for _, ep := range eps {
		// The socket's connection readers route each answer to its call
		// (take): no goroutine of ours waits in Recv and hands it on.
		l := c.newLink(ep, true)
		sock, err := patterns.NewClientFunc(opts.Ctx, so, func(m patterns.Msg) bool {
			c.route(l, m)
			return true
		})
		if err != nil {
			return fail(fmt.Errorf("store: client socket: %w", err))
		}
		l.sock = sock
		if err := sock.Connect(ep); err != nil {
			return fail(fmt.Errorf("store: connect %s: %w", ep, err))
		}
	}
	c.endpoints = eps
	if len(eps) > 1 {
		c.clock = hlc.NewClock(hlc.NewID())
	}
	for _, l := range c.links {
		c.startLink(l)
	}
	return c, nil
}

// NewClient makes a Client of a CLIENT socket the caller created and
// connected (for instance with config.ClientConfig.Build); the Client owns
// it, and its monitor, from now on and closes it in Close. opts.Socket is
// used only for Watch's DISH sockets. Such a client cannot tell which of
// the socket's endpoints a request went to, nor how many endpoints it
// has: its requests wait for a connection within their context (as with
// WaitForServer), and those in progress when a connection drops are sent
// again.
func NewClient(sock *patterns.Client, opts ClientOptions) *Client {
	c := newClient(opts)
	ep, err := sock.LastEndpoint()
	if err == nil && ep != "" {
		c.endpoints = []string{ep}
	}
	l := c.newLink(ep, false)
	l.sock = sock
	c.startLink(l)
	return c
}

func newClient(opts ClientOptions) *Client {
	ctx, stop := context.WithCancel(context.Background())
	c := &Client{
		zctx:    opts.Ctx,
		opts:    opts,
		log:     opts.Logger,
		calls:   make(map[uint64]*call),
		changed: make(chan struct{}),
		epoch:   time.Now(),
		stop:    stop,
	}
	c.run = ctx
	if c.log == nil {
		c.log = slog.Default()
	}
	return c
}

// Close fails every call in progress with ErrClosed, stops the
// demultiplexers and closes the sockets. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.notifyLocked() // wakes the calls waiting for a server
	c.mu.Unlock()
	c.stop()
	var errs []error
	for _, l := range c.links {
		<-l.done // the demultiplexer has stopped reading
		errs = append(errs, l.sock.Close())
	}
	c.wg.Wait() // the monitors end when their socket closes
	c.failAll(func(*call) bool { return true }, ErrClosed)
	return errors.Join(errs...)
}

// failAll removes the calls in progress that match from the table and
// fails them with err.
func (c *Client) failAll(match func(*call) bool, err error) {
	var failed []*call
	c.mu.Lock()
	for id, k := range c.calls {
		if match(k) {
			delete(c.calls, id)
			failed = append(failed, k)
		}
	}
	c.mu.Unlock()
	for _, k := range failed {
		k.fail(err)
	}
}

// demux reads every answer on l and routes it to its call, until ctx is
// done or the socket stops working (closed, or its socket.Ctx shut down).
// Then the link is dead: its calls in progress fail with ErrClosed, and
// once every link is dead later calls fail at once.
func (c *Client) demux(ctx context.Context, l *link) {
	defer close(l.done)
	defer func() {
		c.mu.Lock()
		l.dead = true
		c.notifyLocked()
		c.mu.Unlock()
		c.failAll(func(k *call) bool { return k.link == l }, ErrClosed)
	}()
	for {
		m, err := l.sock.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil || !errors.Is(err, socket.ErrWouldBlock) {
				return
			}
			continue
		}
		c.route(l, m)
	}
}

// route hands m, an answer received on l, to its call. It runs on the
// demultiplexer or, for Connect's sockets, on the goroutine that read m
// (patterns.NewClientFunc): it must not block. A small body shares its
// memory with other messages received (a slab): what the call keeps is
// copied and the body released.
func (c *Client) route(l *link, m patterns.Msg) {
	if len(m.Body) >= proto.HeaderLen && proto.IsStream(proto.Kind(m.Body[1])) {
		// A stream message: its call decodes it (stream.go).
		id, _ := proto.PeekID(m.Body)
		c.mu.Lock()
		k := c.calls[id]
		c.mu.Unlock()
		if k == nil {
			m.Release()
			return
		}
		body := m.Body
		if len(body) <= socket.MaxSharedBody {
			body = bytes.Clone(body)
			m.Release()
		}
		k.push(proto.Message{Kind: proto.Kind(body[1]), ID: id, Value: body})
		return
	}
	msg, err := proto.Decode(m.Body)
	if err != nil {
		c.log.Warn("store: client dropped an undecodable answer", "endpoint", l.endpoint, "err", err)
		m.Release()
		return
	}
	if msg.Kind != proto.KindReply && msg.Kind != proto.KindFinal {
		c.log.Warn("store: client dropped a message that is not an answer", "endpoint", l.endpoint, "kind", msg.Kind)
		m.Release()
		return
	}
	final := msg.Kind == proto.KindFinal || msg.Last // a last REPLY ends the answer
	c.mu.Lock()
	k := c.calls[msg.ID]
	if final && k != nil {
		delete(c.calls, msg.ID)
	}
	c.mu.Unlock()
	if k == nil {
		m.Release()
		return // a call that gave up, or was sent again elsewhere
	}
	if len(m.Body) <= socket.MaxSharedBody {
		// Decode's Value points into the received body: give the call
		// its own, and the body back to its slab. A larger body is the
		// value's alone.
		if msg.Value != nil {
			msg.Value = bytes.Clone(msg.Value)
		}
		m.Release()
	}
	k.push(msg)
}

// start picks a server that is up (waiting for one within ctx), or takes
// on if it is not nil, registers k under a new request id and sends m on
// it. It returns the id and the link it went on.
func (c *Client) start(ctx context.Context, k *call, m proto.Message, on *link) (uint64, *link, error) {
	return c.startBody(ctx, k, m.Kind, func(id uint64) ([]byte, error) {
		m.ID = id
		return m.MarshalBinary()
	}, on)
}

// startBody is start for a request whose encoding enc makes, given its id.
func (c *Client) startBody(ctx context.Context, k *call, kind proto.Kind, enc func(id uint64) ([]byte, error), on *link) (uint64, *link, error) {
	l, err := on, error(nil)
	if l == nil {
		l, err = c.pick(ctx)
	}
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("store: %w", err) // about the servers, not the request
	}
	id := c.nextID.Add(1)
	body, err := enc(id)
	if err != nil {
		return 0, nil, err
	}
	c.mu.Lock()
	switch {
	case c.closed || l.dead:
		c.mu.Unlock()
		return 0, nil, ErrClosed
	case l.up == 0:
		// The connection dropped since pick: its calls were failed before
		// this one could be registered. Pick again.
		c.mu.Unlock()
		return 0, nil, errConnLost
	}
	k.link = l
	c.calls[id] = k
	c.mu.Unlock()
	err = l.sock.TrySend(body)
	if errors.Is(err, socket.ErrWouldBlock) {
		err = c.sendSlow(ctx, l, id, body)
	}
	if err != nil {
		c.forget(id)
		if errors.Is(err, socket.ErrClosed) || errors.Is(err, socket.ErrInvalidCtx) {
			err = ErrClosed
		}
		if errors.Is(err, errConnLost) {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("store: send %v: %w", kind, err)
	}
	return id, l, nil
}

// sendSlow sends body on l when the socket has no room for it (its
// high-water mark reached, or its connection just dropped): it waits for
// room within ctx, and gives up with errConnLost when the call id was
// failed meanwhile because its connection dropped.
func (c *Client) sendSlow(ctx context.Context, l *link, id uint64, body []byte) error {
	for {
		c.mu.Lock()
		_, pending := c.calls[id]
		changed := c.changed
		c.mu.Unlock()
		if !pending {
			return errConnLost
		}
		sctx, cancel := context.WithCancel(ctx)
		go func() { // ends with cancel, below
			select {
			case <-changed:
				cancel()
			case <-sctx.Done():
			}
		}()
		err := l.sock.Send(sctx, body)
		interrupted := sctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil || !interrupted {
			return err
		}
	}
}

// forget drops a call that will not read its answer.
func (c *Client) forget(id uint64) {
	c.mu.Lock()
	delete(c.calls, id)
	c.mu.Unlock()
}

// errNilContext refuses a nil context.Context, as the standard library's
// calls do: a call needs one to know when to give up.
var errNilContext = fmt.Errorf("store: nil context.Context: %w", socket.ErrInvalidInput)

// withTimeout applies the client's default timeout to a context without a
// deadline. A nil ctx is refused.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if ctx == nil {
		return nil, nil, errNilContext
	}
	if _, ok := ctx.Deadline(); ok || c.opts.Timeout <= 0 {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	return ctx, cancel, nil
}

// maxAttempts bounds how many times a request is sent: once, then once
// more per connection that dropped under it, up to this many in all.
func (c *Client) maxAttempts() int { return len(c.links) + 2 }

// do sends a PUT or DELETE and waits for its FINAL, sending it again when
// the connection it went on drops first.
func (c *Client) do(ctx context.Context, m proto.Message) error {
	ctx, cancel, err := c.withTimeout(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if c.clock != nil && m.Timestamp.IsZero() {
		m.Timestamp = c.clock.Now() // a retry must be the same write
	}
	begin := time.Since(c.epoch) // one clock read (time.Now takes two)
	for attempt := 1; ; attempt++ {
		k := newCall()
		id, l, err := c.start(ctx, k, m, nil)
		if errors.Is(err, errConnLost) && attempt < c.maxAttempts() {
			continue
		}
		if err != nil {
			return err
		}
		for {
			a, err := k.next(ctx)
			if err != nil {
				c.forget(id)
				if errors.Is(err, errConnLost) && attempt < c.maxAttempts() {
					break // send it again
				}
				return fmt.Errorf("store: %v %q: %w", m.Kind, m.Key, explainWait(err, l, c.epoch.Add(begin)))
			}
			if a.Kind == proto.KindFinal {
				recycle(k)
				return a.Err()
			}
			// A REPLY to a write: not something a server sends. Ignore it;
			// the FINAL follows.
		}
	}
}

// Option adjusts a Put or Delete.
type Option func(*proto.Message)

// WithEncoding sets the encoding stored with a put's value, such as
// "text/plain" or "application/json" (ignored by Delete).
func WithEncoding(encoding string) Option {
	return func(m *proto.Message) {
		if m.Kind == proto.KindPut {
			m.Encoding = encoding
		}
	}
}

// WithTimestamp gives a put or delete its own timestamp instead of the
// server's; the server refuses one too far in its future
// (proto.StatusTimestampDrift). Writers that stamp their own writes with an
// hlc.Clock get last-writer-wins across servers by their clock.
func WithTimestamp(ts hlc.Timestamp) Option {
	return func(m *proto.Message) { m.Timestamp = ts }
}

// Put stores value under key (a plain key, no wildcards) in every storage
// that holds it. It returns nil once every such storage has stored it
// durably, or already held a newer entry for the key (last writer wins).
// A refusal is a *proto.StatusError: errors.Is(err,
// proto.StatusWildcardKey), proto.StatusReadOnly, proto.StatusTooLarge...
// The client copies value; the caller may reuse it.
//
// When the connection the put went on drops before its answer, the put is
// sent again to a server that is up. A client of several endpoints stamps
// its writes (unless WithTimestamp gives one) with its own clock, so the
// retry is the same write: applied twice, the second application loses to
// the first under last writer wins. A client of one endpoint leaves the
// stamp to the server; its retry, after the connection came back, may
// store the same value again with a newer timestamp.
func (c *Client) Put(ctx context.Context, key string, value []byte, opts ...Option) error {
	m := proto.Message{Kind: proto.KindPut, Key: key, Value: value}
	if len(opts) > 0 {
		m = withOptions(m, opts)
	}
	return c.do(ctx, m)
}

// withOptions applies opts to m. It is a function of its own so that m
// escapes to the heap only when there are options.
func withOptions(m proto.Message, opts []Option) proto.Message {
	for _, o := range opts {
		o(&m)
	}
	return m
}

// Delete deletes every key keyexpr matches (a plain key, or a key
// expression with wildcards) in every storage it reaches, leaving
// tombstones so that older puts cannot bring the keys back.
func (c *Client) Delete(ctx context.Context, keyexpr string, opts ...Option) error {
	m := proto.Message{Kind: proto.KindDelete, Key: keyexpr}
	if len(opts) > 0 {
		m = withOptions(m, opts)
	}
	return c.do(ctx, m)
}

// Get returns every stored key a selector matches ("demo/**", or
// "demo/*?limit=10" with parameters), one Sample per key, sorted by key.
// A query that fails part-way returns the error and no samples.
func (c *Client) Get(ctx context.Context, selector string) ([]Sample, error) {
	var out []Sample
	var failed error
	c.query(ctx, selector, nil, func(s Sample, err error) bool {
		if err != nil {
			failed = err
			return false
		}
		out = append(out, s)
		return true
	})
	if failed != nil {
		return nil, failed
	}
	slices.SortFunc(out, func(a, b Sample) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// GetSeq queries like Get but yields each Sample as its REPLY arrives, in
// the server's order, without holding them all. It yields an error last if
// the query fails (a *proto.StatusError, ErrIncomplete if the FINAL counted
// REPLY messages that never arrived, or the context's error). Stopping the
// iteration early abandons the query.
func (c *Client) GetSeq(ctx context.Context, selector string) iter.Seq2[Sample, error] {
	return c.getSeq(ctx, selector, nil)
}

// getSeq is GetSeq, sent to on if it is not nil (then not sent again
// elsewhere if its connection drops).
func (c *Client) getSeq(ctx context.Context, selector string, on *link) iter.Seq2[Sample, error] {
	return func(yield func(Sample, error) bool) { c.query(ctx, selector, on, yield) }
}

// query runs a query, yielding as getSeq's iterator does. Get calls it
// directly: no iterator to allocate.
func (c *Client) query(ctx context.Context, selector string, on *link, yield func(Sample, error) bool) {
	ctx, cancel, err := c.withTimeout(ctx)
	if err != nil {
		yield(Sample{}, err)
		return
	}
	defer cancel()
	ke, params := keyexpr.SplitSelector(selector)
	m := proto.Message{Kind: proto.KindQuery, Key: ke, Parameters: string(params), AcceptLast: !c.noLast.Load()}
	begin := time.Since(c.epoch) // one clock read (time.Now takes two)
	var got uint32
	attempts := c.maxAttempts()
	if on != nil {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		k := newCall()
		id, l, err := c.start(ctx, k, m, on)
		if errors.Is(err, errConnLost) && attempt < attempts {
			continue
		}
		if err != nil {
			yield(Sample{}, err)
			return
		}
		got = 0
		for {
			a, err := k.next(ctx)
			if err != nil {
				c.forget(id)
				if errors.Is(err, errConnLost) && got == 0 && attempt < attempts {
					break // nothing yielded yet: ask again
				}
				yield(Sample{}, fmt.Errorf("store: query %q: %w", selector, explainWait(err, l, c.epoch.Add(begin))))
				return
			}
			if a.Kind == proto.KindFinal {
				recycle(k)
				if m.AcceptLast && got == 0 && errors.Is(a.Err(), proto.StatusMalformed) {
					// A server that does not speak flag L: ask again
					// without it, and stop setting it.
					c.noLast.Store(true)
					m.AcceptLast = false
					break
				}
				switch {
				case a.Err() != nil:
					yield(Sample{}, a.Err())
				case a.Count != got:
					yield(Sample{}, fmt.Errorf("%w: query %q: the server sent %d replies, %d arrived", ErrIncomplete, selector, a.Count, got))
				}
				return
			}
			got++
			if c.clock != nil {
				_ = c.clock.Update(a.Timestamp) // later writes order after what was read
			}
			smp := Sample{Key: a.Key, Value: a.Value, Encoding: a.Encoding, Timestamp: a.Timestamp, Size: int64(len(a.Value))}
			if a.Omitted {
				size, hash, err := proto.ParseOmitted(a.Value)
				if err != nil {
					c.forget(id)
					yield(Sample{}, fmt.Errorf("store: query %q: reply for %q: %w", selector, a.Key, err))
					return
				}
				smp.Value, smp.Omitted, smp.Size, smp.Hash = nil, true, int64(size), hash
			}
			if a.Last {
				// The answer ends with this REPLY: route removed
				// the call as for a FINAL.
				recycle(k)
				yield(smp, nil)
				return
			}
			if !yield(smp, nil) {
				c.forget(id)
				return
			}
		}
	}
}

// Info asks a server for its description (see AdminKey).
func (c *Client) Info(ctx context.Context) (ServerInfo, error) { return c.info(ctx, nil) }

// info is Info, asked of on if it is not nil.
func (c *Client) info(ctx context.Context, on *link) (ServerInfo, error) {
	var info ServerInfo
	var samples []Sample
	for s, err := range c.getSeq(ctx, AdminKey, on) {
		if err != nil {
			return info, err
		}
		samples = append(samples, s)
	}
	if len(samples) != 1 {
		return info, fmt.Errorf("%w: %d answers for %s, want 1", ErrProtocol, len(samples), AdminKey)
	}
	if err := json.Unmarshal(samples[0].Value, &info); err != nil {
		return info, fmt.Errorf("%w: %s: %v", ErrProtocol, AdminKey, err)
	}
	return info, nil
}
