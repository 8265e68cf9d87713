package patterns

import (
	"context"
	"fmt"
	"sync"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// pubPeer is a PUB's or XPUB's subscriber: its pipe, and the mark a
// match leaves so that a peer subscribed to several matching prefixes
// gets the message once.
type pubPeer struct {
	p    *engine.Pipe
	mark uint64
}

// welcomed marks a pipe that got the welcome message (once per pipe).
type welcomed struct{}

// publisher is the sending side of Pub and XPub, and their engine
// handler: the subscriptions of every peer in a radix tree, matched
// against each message's first frame.
type publisher struct {
	s                                 *engine.Socket
	xpub                              bool
	verbose, verboser, manual, noDrop bool
	invert                            bool
	welcome                           []byte

	mu      sync.Mutex // guards everything below
	subs    trie
	peers   map[*engine.Pipe]*pubPeer
	gen     uint64
	targets []*pubPeer   // scratch of send
	last    *engine.Pipe // XPUB: where the last notification received came from
}

func newPublisher(o Options, xpub bool) *publisher {
	return &publisher{xpub: xpub, verbose: o.XPubVerbose || o.XPubVerboser, verboser: o.XPubVerboser,
		manual: xpub && o.XPubManual, noDrop: o.XPubNoDrop, invert: o.InvertMatching, welcome: o.XPubWelcome,
		peers: make(map[*engine.Pipe]*pubPeer)}
}

func (pb *publisher) peer(p *engine.Pipe) *pubPeer {
	pp := pb.peers[p]
	if pp == nil {
		pp = &pubPeer{p: p}
		pb.peers[p] = pp
	}
	return pp
}

// PeerUp implements engine.Handler.
func (pb *publisher) PeerUp(p *engine.Pipe) {
	pb.mu.Lock()
	pb.peer(p)
	pb.mu.Unlock()
	if len(pb.welcome) > 0 && p.Value() == nil {
		p.SetValue(welcomed{})
		_, _ = p.TrySend(Msg{Body: pb.welcome})
	}
}

// PeerDown forgets the peer's subscriptions (a subscriber sends them all
// again when it reconnects). An XPUB passes up a cancel for each topic
// left without subscribers (every topic of the peer's, with
// XPubVerboser or XPubManual).
func (pb *publisher) PeerDown(p *engine.Pipe, _ bool) {
	pb.mu.Lock()
	pp := pb.peers[p]
	delete(pb.peers, p)
	var mine [][]byte
	if pp != nil {
		pb.subs.walk(func(key []byte, n *tnode) {
			for _, x := range n.peers {
				if x == pp {
					mine = append(mine, append([]byte{0}, key...))
					break
				}
			}
		})
	}
	var notes [][]byte
	for _, k := range mine {
		_, last := pb.subs.rmPeer(k[1:], pp)
		if pb.xpub && (last || pb.verboser || pb.manual) {
			notes = append(notes, k)
		}
	}
	pb.mu.Unlock()
	for _, k := range notes {
		p.Inject(Msg{Body: k})
	}
}

// Command implements engine.Handler.
func (pb *publisher) Command(*engine.Pipe, []byte) error { return nil }

func (pb *publisher) attach(s *engine.Socket) { pb.s = s }

// Intercept takes subscriptions (0x01/0x00+topic; the engine turns
// SUBSCRIBE and CANCEL commands into these) out of what subscribers send.
// A PUB drops everything else; an XPUB passes notifications (as its
// options say) and other messages up.
func (pb *publisher) Intercept(p *engine.Pipe, m *Msg) (bool, error) {
	if !pb.xpub {
		for _, f := range msgFrames(m) {
			if len(f) > 0 && f[0] <= 1 {
				if _, err := pb.apply(p, f); err != nil {
					return false, err
				}
			}
		}
		return false, nil
	}
	if m.Frames != nil || len(m.Body) == 0 || m.Body[0] > 1 {
		return true, nil // upstream data
	}
	return pb.apply(p, m.Body)
}

// apply applies one subscription message from p and reports whether an
// XPUB passes it up.
func (pb *publisher) apply(p *engine.Pipe, f []byte) (bool, error) {
	topic := f[1:]
	if len(topic) > socket.MaxSubscription {
		return false, fmt.Errorf("%w: a %d-byte subscription (the limit is %d)", socket.ErrTooLarge, len(topic), socket.MaxSubscription)
	}
	if pb.manual {
		return true, nil
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pp := pb.peers[p]
	if pp == nil { // a message before PeerUp (inproc, queued before the bind)
		pp = pb.peer(p)
	}
	if f[0] == 1 {
		added, first := pb.subs.addPeer(topic, pp)
		return first || (added && pb.verbose) || pb.verbose, nil
	}
	removed, last := pb.subs.rmPeer(topic, pp)
	return last || (removed && pb.verboser), nil
}

// match collects the peers a message whose first frame is topic goes to
// into pb.targets. pb.mu must be held.
func (pb *publisher) match(topic []byte) []*pubPeer {
	pb.gen++
	gen := pb.gen
	t := pb.targets[:0]
	pb.subs.match(topic, func(n *tnode) {
		for _, pp := range n.peers {
			if pp.mark != gen {
				pp.mark = gen
				if !pb.invert {
					t = append(t, pp)
				}
			}
		}
	})
	if pb.invert {
		for _, pp := range pb.peers {
			if pp.mark != gen {
				t = append(t, pp)
			}
		}
	}
	pb.targets = t
	return t
}

// send queues m for every matching peer. A peer at its high-water mark
// misses it, unless noDrop: then nothing is sent while any is full, and
// the send waits (block) or fails with socket.ErrWouldBlock.
func (pb *publisher) send(ctx context.Context, frames [][]byte, block bool) error {
	if ctx == nil {
		return &socket.SendError{Err: engine.ErrNilContext}
	}
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	if pb.s.IsClosed() {
		return &socket.SendError{Err: socket.ErrClosed}
	}
	m := framesMsg(frames)
	topic := frames[0]
	try := func() (bool, error) {
		pb.mu.Lock()
		defer pb.mu.Unlock()
		t := pb.match(topic)
		if pb.noDrop {
			for _, pp := range t {
				if pp.p.FullFor(m.Len()) {
					return false, nil
				}
			}
		}
		for _, pp := range t {
			_, _ = pp.p.TrySend(m)
		}
		clear(t)
		return true, nil
	}
	if ok, _ := try(); ok {
		return nil
	}
	if !block {
		return &socket.SendError{Msg: m, Err: socket.ErrWouldBlock}
	}
	if err := pb.s.WaitSend(ctx, try); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	return nil
}

// Pub is a PUB socket (RFC 29): it sends each message to every SUB or
// XSUB peer subscribed to a prefix of its first frame (the empty prefix
// matches everything). Subscriptions are kept per peer in a radix tree,
// so a send costs the length of the longest matching prefix, however
// many subscriptions there are. A peer at its high-water mark misses the
// message (unless Options.XPubNoDrop is set). It is safe for concurrent
// use.
type Pub struct {
	base
	pb *publisher
}

// NewPub returns a Pub in ctx (socket.DefaultCtx() if nil).
func NewPub(ctx *socket.Ctx, opts Options) (*Pub, error) {
	pb := newPublisher(opts, false)
	return newClassic(ctx, pubType, withoutConflate(opts), pb, func(b base) *Pub { return &Pub{b, pb} })
}

// SendFrames publishes one message to the subscribers that match its
// first frame. With no subscriber it is dropped and SendFrames succeeds.
func (s *Pub) SendFrames(ctx context.Context, frames ...[]byte) error {
	return s.pb.send(ctx, frames, true)
}

// TrySendFrames is SendFrames without blocking: with XPubNoDrop a full
// subscriber makes it fail with socket.ErrWouldBlock.
func (s *Pub) TrySendFrames(frames ...[]byte) error {
	return s.pb.send(context.Background(), frames, false)
}

// XPub is an XPUB socket: a Pub that also receives what its subscribers
// send: subscription notifications (one frame, 0x01 or 0x00 then the
// topic; by default a topic's first subscribe and its last cancel, see
// Options.XPubVerbose, XPubVerboser and XPubManual) and any other
// messages. It is safe for concurrent use.
type XPub struct {
	base
	pb *publisher
}

// NewXPub returns an XPub in ctx (socket.DefaultCtx() if nil).
func NewXPub(ctx *socket.Ctx, opts Options) (*XPub, error) {
	pb := newPublisher(opts, true)
	return newClassic(ctx, xpubType, withoutConflate(opts), pb, func(b base) *XPub { return &XPub{b, pb} })
}

// SendFrames publishes one message, as Pub.SendFrames.
func (s *XPub) SendFrames(ctx context.Context, frames ...[]byte) error {
	return s.pb.send(ctx, frames, true)
}

// RecvFrames returns the next notification or message from a
// subscriber.
func (s *XPub) RecvFrames(ctx context.Context) ([][]byte, error) {
	m, err := s.s.Recv(ctx, true)
	if err != nil {
		return nil, err
	}
	if p := s.s.PipeByID(m.RoutingID); p != nil {
		s.pb.mu.Lock()
		s.pb.last = p
		s.pb.mu.Unlock()
	}
	return msgFrames(&m), nil
}

// Subscribe, with Options.XPubManual, subscribes the peer of the last
// notification received to prefix. It fails with socket.ErrInvalidInput
// without XPubManual, and with socket.ErrHostUnreachable if no
// notification came from a peer still connected.
func (s *XPub) Subscribe(prefix []byte) error { return s.manual(prefix, true) }

// Unsubscribe is Subscribe's opposite.
func (s *XPub) Unsubscribe(prefix []byte) error { return s.manual(prefix, false) }

func (s *XPub) manual(prefix []byte, sub bool) error {
	pb := s.pb
	if !pb.manual {
		return fmt.Errorf("%w: an XPUB subscribes its peers itself unless XPubManual is set", socket.ErrInvalidInput)
	}
	if len(prefix) > socket.MaxSubscription {
		return fmt.Errorf("%w: a %d-byte subscription (the limit is %d)", socket.ErrInvalidInput, len(prefix), socket.MaxSubscription)
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pp := pb.peers[pb.last]
	if pp == nil {
		return fmt.Errorf("%w: the peer of the last notification is gone", socket.ErrHostUnreachable)
	}
	if sub {
		pb.subs.addPeer(prefix, pp)
	} else {
		pb.subs.rmPeer(prefix, pp)
	}
	return nil
}

// subscriber is the subscription side of Sub and XSub, and their engine
// handler: how many times each topic is subscribed (a radix tree, which
// also filters a Sub's incoming messages), sent to every publisher.
type subscriber struct {
	s      *engine.Socket
	filter bool // SUB: deliver only what matches
	invert bool

	cmdMu sync.Mutex // held while subscriptions go out; before mu
	// up is the publishers that have been sent the subscriptions (by
	// PeerUp); guarded by cmdMu. A change goes to these only: a pipe
	// goes live before its PeerUp runs, and a change sent to it in
	// between would reach it twice and out of order (once directly, once
	// among the subscriptions PeerUp sends).
	up     map[*engine.Pipe]struct{}
	mu     sync.RWMutex // guards topics
	topics trie
}

// sendSub sends one subscription to p: a command to a ZMTP 3.1 peer, a
// message to a 3.0 (or inproc) one; dropped if p is full.
func sendSub(p *engine.Pipe, topic []byte, subscribe bool) {
	if p.Revision() >= 1 {
		p.SendCommand(zmtp.AppendSubscription(make([]byte, 0, 1+len(zmtp.CmdSubscribe)+len(topic)), topic, subscribe))
		return
	}
	m := make([]byte, 1+len(topic))
	if subscribe {
		m[0] = 1
	}
	copy(m[1:], topic)
	_, _ = p.TrySend(Msg{Body: m})
}

// PeerUp sends each distinct topic to a new (or reconnected) publisher.
func (sb *subscriber) PeerUp(p *engine.Pipe) {
	sb.cmdMu.Lock()
	defer sb.cmdMu.Unlock()
	var topics [][]byte
	sb.mu.RLock()
	sb.topics.walk(func(key []byte, _ *tnode) { topics = append(topics, append([]byte(nil), key...)) })
	sb.mu.RUnlock()
	for _, t := range topics {
		sendSub(p, t, true)
	}
	sb.up[p] = struct{}{}
}

func (sb *subscriber) attach(s *engine.Socket) { sb.s = s }

// PeerDown implements engine.Handler: the publisher gets every
// subscription again if it comes back.
func (sb *subscriber) PeerDown(p *engine.Pipe, _ bool) {
	sb.cmdMu.Lock()
	delete(sb.up, p)
	sb.cmdMu.Unlock()
}

// tell sends a subscription or cancel to every publisher that has had
// its PeerUp; the caller holds cmdMu.
func (sb *subscriber) tell(topic []byte, subscribe bool) {
	for p := range sb.up {
		if p.Live() {
			sendSub(p, topic, subscribe)
		}
	}
}

// Command implements engine.Handler.
func (sb *subscriber) Command(*engine.Pipe, []byte) error { return nil }

// Intercept is a Sub's filter: a message goes through if a subscription
// is a prefix of its first frame (or, with InvertMatching, if none is).
func (sb *subscriber) Intercept(_ *engine.Pipe, m *Msg) (bool, error) {
	if !sb.filter {
		return true, nil
	}
	sb.mu.RLock()
	ok := sb.topics.matches(firstFrame(m))
	sb.mu.RUnlock()
	return ok != sb.invert, nil
}

// change counts a subscription to topic up or down and tells every
// publisher: each subscribe, and a cancel only once the count is 0 (as
// libzmq; publishers keep sets).
func (sb *subscriber) change(topic []byte, subscribe bool) error {
	if len(topic) > socket.MaxSubscription {
		return fmt.Errorf("%w: a %d-byte subscription (the limit is %d)", socket.ErrInvalidInput, len(topic), socket.MaxSubscription)
	}
	if sb.s.IsClosed() {
		return socket.ErrClosed
	}
	sb.cmdMu.Lock()
	defer sb.cmdMu.Unlock()
	sb.mu.Lock()
	tell := true
	if subscribe {
		sb.topics.add(topic)
	} else {
		_, tell = sb.topics.rm(topic)
	}
	sb.mu.Unlock()
	if tell {
		sb.tell(topic, subscribe)
	}
	return nil
}

// Sub is a SUB socket (RFC 29): it receives, fair-queued from its PUB and
// XPUB peers, the messages whose first frame starts with one of its
// subscriptions (none at first: subscribe to the empty prefix for
// everything). It is safe for concurrent use.
type Sub struct {
	base
	sb *subscriber
}

// NewSub returns a Sub in ctx (socket.DefaultCtx() if nil).
func NewSub(ctx *socket.Ctx, opts Options) (*Sub, error) {
	sb := &subscriber{filter: true, invert: opts.InvertMatching, up: make(map[*engine.Pipe]struct{})}
	return newClassic(ctx, subType, opts, sb, func(b base) *Sub { return &Sub{b, sb} })
}

// Subscribe adds a subscription to messages whose first frame starts with
// prefix (at most socket.MaxSubscription bytes; empty: every message).
// Subscribing twice needs two Unsubscribes.
func (s *Sub) Subscribe(prefix []byte) error { return s.sb.change(prefix, true) }

// Unsubscribe removes one subscription to prefix; an unknown one is
// ignored.
func (s *Sub) Unsubscribe(prefix []byte) error { return s.sb.change(prefix, false) }

// RecvFrames returns the next matching message.
func (s *Sub) RecvFrames(ctx context.Context) ([][]byte, error) { return s.recvFrames(ctx) }

// TryRecvFrames returns a message if one is waiting, else
// socket.ErrWouldBlock.
func (s *Sub) TryRecvFrames() ([][]byte, error) { return s.tryRecvFrames() }

// RecvMsg is RecvFrames returning the message itself (see Pull.RecvMsg).
func (s *Sub) RecvMsg(ctx context.Context) (Msg, error) { return s.recvMsg(ctx) }

// XSub is an XSUB socket: a Sub without the local filter (it delivers
// everything its publishers send), which can also send: a one-frame
// message 0x01+topic or 0x00+topic is a subscription or cancel, counted
// and sent as Subscribe and Unsubscribe do; anything else goes to every
// publisher as is.
// It is safe for concurrent use.
type XSub struct {
	base
	sb *subscriber
}

// NewXSub returns an XSub in ctx (socket.DefaultCtx() if nil).
func NewXSub(ctx *socket.Ctx, opts Options) (*XSub, error) {
	sb := &subscriber{up: make(map[*engine.Pipe]struct{})}
	return newClassic(ctx, xsubType, withoutConflate(opts), sb, func(b base) *XSub { return &XSub{b, sb} })
}

// Subscribe subscribes to prefix, as Sub.Subscribe.
func (s *XSub) Subscribe(prefix []byte) error { return s.sb.change(prefix, true) }

// Unsubscribe removes one subscription, as Sub.Unsubscribe.
func (s *XSub) Unsubscribe(prefix []byte) error { return s.sb.change(prefix, false) }

// SendFrames sends a subscription message or any other message to every
// publisher (one at its high-water mark misses it).
func (s *XSub) SendFrames(ctx context.Context, frames ...[]byte) error {
	if ctx == nil {
		return &socket.SendError{Err: engine.ErrNilContext}
	}
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	if s.s.IsClosed() {
		return &socket.SendError{Err: socket.ErrClosed}
	}
	sb := s.sb
	if f := frames[0]; len(frames) == 1 && len(f) > 0 && f[0] <= 1 {
		topic := f[1:]
		if len(topic) > socket.MaxSubscription {
			return &socket.SendError{Err: fmt.Errorf("%w: a %d-byte subscription (the limit is %d)", socket.ErrInvalidInput, len(topic), socket.MaxSubscription)}
		}
		sb.cmdMu.Lock()
		defer sb.cmdMu.Unlock()
		sb.mu.Lock()
		tell := true
		if f[0] == 1 {
			sb.topics.add(topic)
		} else {
			_, tell = sb.topics.rm(topic)
		}
		sb.mu.Unlock()
		if tell {
			// Sent as Subscribe sends it, so the two stay in order.
			sb.tell(topic, f[0] == 1)
		}
		return nil
	}
	m := framesMsg(frames)
	for _, p := range s.s.Pipes() {
		_, _ = p.TrySend(m)
	}
	return nil
}

// RecvFrames returns the next message from any publisher.
func (s *XSub) RecvFrames(ctx context.Context) ([][]byte, error) { return s.recvFrames(ctx) }

// TryRecvFrames returns a message if one is waiting, else
// socket.ErrWouldBlock.
func (s *XSub) TryRecvFrames() ([][]byte, error) { return s.tryRecvFrames() }
