package patterns

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// MaxGroupLen is the longest group name (RFC 48, libzmq 4.3.3 and later).
// libzmq 4.3.2 and older accept only 15 bytes; over UDP, libzmq 4.3.x
// dishes need groups under 128 bytes.
const MaxGroupLen = 255

// MaxDatagram is the largest UDP datagram zmesh sends or accepts, as
// libzmq: 1 byte of group length, the group, and the body.
const MaxDatagram = socket.MaxDatagram

// validGroup checks a group name: at most MaxGroupLen bytes and no NUL
// (libzmq's API treats groups as C strings).
func validGroup(g string) error {
	if len(g) > MaxGroupLen {
		return fmt.Errorf("%w: group is %d bytes, the limit is %d", socket.ErrInvalidInput, len(g), MaxGroupLen)
	}
	if strings.IndexByte(g, 0) >= 0 {
		return fmt.Errorf("%w: group contains a NUL byte", socket.ErrInvalidInput)
	}
	return nil
}

// RadioOptions configure a Radio beyond the common options.
type RadioOptions struct {
	// NoDrop makes Transmit block (or fail with ErrWouldBlock) when a
	// subscribed peer is at its high-water mark, instead of dropping the
	// message for that peer (libzmq's default).
	NoDrop bool
}

// Radio is a RADIO socket (RFC 48): it publishes messages to groups. Each
// message goes to every DISH peer that joined its group (over tcp, ipc and
// inproc) and to every UDP destination (whose dishes filter). It is safe for
// concurrent use.
//
// A libzmq DISH behind PLAIN or CURVE drops every radio's link, libzmq's
// own included, when its ZAP handler answers with a user id: see
// docs/interop.md.
type Radio struct {
	base
	noDrop bool
	peers  *subscribers
}

// subscribers is a Radio's routing table, kept by the engine's calls (it is
// the Radio's engine.Handler): which peer joined which group, and the UDP
// links, which get every message.
type subscribers struct {
	mu   sync.RWMutex
	subs map[string]map[*engine.Pipe]int // group → peer → joins
	udp  []*engine.Pipe
}

// NewRadio returns a Radio in ctx (socket.DefaultCtx() if nil).
func NewRadio(ctx *socket.Ctx, opts Options, ro RadioOptions) (*Radio, error) {
	r := &Radio{noDrop: ro.NoDrop, peers: &subscribers{subs: make(map[string]map[*engine.Pipe]int)}}
	s, err := engine.New(ctx, radioType, opts, r.peers)
	if err != nil {
		return nil, err
	}
	r.s = s
	return r, nil
}

// Transmit publishes body to group. With no subscriber the message is
// dropped silently; a subscriber at its high-water mark misses it unless
// NoDrop is set. Over UDP a message whose datagram would exceed
// MaxDatagram bytes is refused with socket.ErrTooLarge, never truncated.
//
// A nil ctx fails with socket.ErrInvalidInput.
func (r *Radio) Transmit(ctx context.Context, body []byte, group string) error {
	if ctx == nil {
		return &socket.SendError{Msg: Msg{Body: body, Group: group}, Err: engine.ErrNilContext}
	}
	return r.transmit(ctx, body, group, true)
}

// TryTransmit is Transmit that never blocks (with NoDrop it fails with
// socket.ErrWouldBlock when a subscriber is full).
func (r *Radio) TryTransmit(body []byte, group string) error {
	return r.transmit(context.Background(), body, group, false)
}

func (r *Radio) transmit(ctx context.Context, body []byte, group string, block bool) error {
	m := Msg{Body: body, Group: group}
	if err := validGroup(group); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	if r.s.IsClosed() {
		return &socket.SendError{Msg: m, Err: socket.ErrClosed}
	}
	r.peers.mu.RLock()
	hasUDP := len(r.peers.udp) > 0
	r.peers.mu.RUnlock()
	if hasUDP && 1+len(group)+len(body) > MaxDatagram {
		return &socket.SendError{Msg: m, Err: fmt.Errorf("%w: a %d-byte body in group %q makes a datagram over %d bytes", socket.ErrTooLarge, len(body), group, MaxDatagram)}
	}
	if r.fanout(m) {
		return nil
	}
	if !block {
		return &socket.SendError{Msg: m, Err: socket.ErrWouldBlock}
	}
	if err := r.s.WaitSend(ctx, func() (bool, error) { return r.fanout(m), nil }); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	return nil
}

// fanout queues m for every subscriber. Without NoDrop it always succeeds
// (full peers miss the message); with NoDrop it sends nothing and reports
// false if any subscriber is full.
func (r *Radio) fanout(m Msg) bool {
	t := r.peers
	t.mu.RLock()
	defer t.mu.RUnlock()
	peers := t.subs[m.Group]
	if r.noDrop {
		for p := range peers {
			if p.FullFor(m.Len()) {
				return false
			}
		}
		for _, p := range t.udp {
			if p.FullFor(m.Len()) {
				return false
			}
		}
	}
	for p := range peers {
		_, _ = p.TrySend(m)
	}
	for _, p := range t.udp {
		_, _ = p.TrySend(m)
	}
	return true
}

// PeerUp implements engine.Handler.
func (r *subscribers) PeerUp(p *engine.Pipe) {
	if p.Datagram() {
		r.mu.Lock()
		r.udp = append(r.udp, p)
		r.mu.Unlock()
	}
}

// PeerDown implements engine.Handler: a gone peer's joins are forgotten
// (it joins again when it reconnects).
func (r *subscribers) PeerDown(p *engine.Pipe, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for g, peers := range r.subs {
		if _, ok := peers[p]; ok {
			delete(peers, p)
			if len(peers) == 0 {
				delete(r.subs, g)
			}
		}
	}
	for i, x := range r.udp {
		if x == p {
			r.udp = append(r.udp[:i], r.udp[i+1:]...)
			break
		}
	}
}

// Command implements engine.Handler: JOIN and LEAVE from dishes.
func (r *subscribers) Command(p *engine.Pipe, body []byte) error {
	group, join, ok := zmtp.ParseGroup(body)
	if !ok {
		return nil // other commands are ignored, as libzmq does
	}
	if len(group) > MaxGroupLen {
		return fmt.Errorf("%d-byte group in a JOIN or LEAVE (the limit is %d)", len(group), MaxGroupLen)
	}
	g := string(group)
	r.mu.Lock()
	defer r.mu.Unlock()
	peers := r.subs[g]
	if join {
		if peers == nil {
			if len(r.subs) >= maxGroupsPerRadio {
				return fmt.Errorf("more than %d groups joined", maxGroupsPerRadio)
			}
			peers = make(map[*engine.Pipe]int)
			r.subs[g] = peers
		}
		peers[p]++
		return nil
	}
	if n := peers[p]; n > 1 {
		peers[p] = n - 1
	} else if n == 1 {
		delete(peers, p)
		if len(peers) == 0 {
			delete(r.subs, g)
		}
	}
	return nil
}

// maxGroupsPerRadio bounds the subscription table against a peer that
// joins endlessly many groups.
const maxGroupsPerRadio = 1 << 16

// Dish is a DISH socket (RFC 48): it receives the messages of the groups it
// joined, from RADIO peers over tcp, ipc and inproc, and from UDP. It is
// safe for concurrent use.
type Dish struct {
	base
	m *membership
}

// membership is the groups a Dish joined. It is the Dish's engine.Handler
// (a new or reconnected radio learns every joined group) and its filter
// of incoming messages.
//
// The filter runs under the engine's queue lock, on an inproc radio's
// goroutine that holds the radio's subscription lock; JOIN and LEAVE
// commands go the other way (over inproc they take that subscription
// lock). So mu, which the filter reads, is never held while a command is
// sent; cmdMu orders the commands instead, so every radio hears the
// changes in the order they were made.
type membership struct {
	cmdMu sync.Mutex // held while JOIN/LEAVE commands go out; before mu
	// up is the radios that have been sent the joined groups (by
	// PeerUp); guarded by cmdMu. Join and Leave go to these only: a pipe
	// goes live before its PeerUp runs, and a JOIN sent to it in between
	// would reach it twice (libzmq's radio then counts the group twice,
	// and one LEAVE does not undo it).
	up     map[*engine.Pipe]struct{}
	mu     sync.RWMutex // guards joined
	joined map[string]struct{}
}

// NewDish returns a Dish in ctx (socket.DefaultCtx() if nil). Its linger is
// always 0, as libzmq forces: a dish has nothing worth flushing.
func NewDish(ctx *socket.Ctx, opts Options) (*Dish, error) {
	m := &membership{joined: make(map[string]struct{}), up: make(map[*engine.Pipe]struct{})}
	opts.Linger = 0
	s, err := engine.New(ctx, dishType, opts, m)
	if err != nil {
		return nil, err
	}
	s.SetFilter(m.accept)
	return &Dish{base{s}, m}, nil
}

func (d *membership) accept(group string) bool {
	d.mu.RLock()
	_, ok := d.joined[group]
	d.mu.RUnlock()
	return ok
}

// Join subscribes to group. It fails with socket.ErrInvalidInput if the
// group is already joined, longer than MaxGroupLen, or contains a NUL.
func (d *Dish) Join(group string) error {
	if err := validGroup(group); err != nil {
		return err
	}
	return d.change(group, true)
}

// Leave unsubscribes from group; socket.ErrInvalidInput if it was not
// joined.
func (d *Dish) Leave(group string) error { return d.change(group, false) }

// change joins or leaves group and tells every connected radio.
func (d *Dish) change(group string, join bool) error {
	m := d.m
	m.cmdMu.Lock()
	defer m.cmdMu.Unlock()
	m.mu.Lock()
	if _, ok := m.joined[group]; ok == join {
		m.mu.Unlock()
		if join {
			return fmt.Errorf("%w: group %q is already joined", socket.ErrInvalidInput, group)
		}
		return fmt.Errorf("%w: group %q is not joined", socket.ErrInvalidInput, group)
	}
	var cmd []byte
	if join {
		m.joined[group] = struct{}{}
		cmd = zmtp.AppendJoin(make([]byte, 0, 1+len(zmtp.CmdJoin)+len(group)), group)
	} else {
		delete(m.joined, group)
		cmd = zmtp.AppendLeave(make([]byte, 0, 1+len(zmtp.CmdLeave)+len(group)), group)
	}
	m.mu.Unlock()
	for p := range m.up {
		p.SendCommand(cmd)
	}
	return nil
}

// Joined returns the joined groups, sorted.
func (d *Dish) Joined() []string {
	m := d.m
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := slices.AppendSeq(make([]string, 0, len(m.joined)), maps.Keys(m.joined))
	slices.Sort(out)
	return out
}

// Recv returns the next message of a joined group; Msg.Group says which.
// A nil ctx fails with socket.ErrInvalidInput.
func (d *Dish) Recv(ctx context.Context) (Msg, error) { return d.recv(ctx) }

// TryRecv returns a message if one is waiting, else socket.ErrWouldBlock.
func (d *Dish) TryRecv() (Msg, error) { return d.tryRecv() }

// PeerUp implements engine.Handler: a new or reconnected radio learns every
// joined group.
func (d *membership) PeerUp(p *engine.Pipe) {
	d.cmdMu.Lock()
	defer d.cmdMu.Unlock()
	d.mu.RLock()
	groups := slices.AppendSeq(make([]string, 0, len(d.joined)), maps.Keys(d.joined))
	d.mu.RUnlock()
	for _, g := range groups {
		p.SendCommand(zmtp.AppendJoin(make([]byte, 0, 1+len(zmtp.CmdJoin)+len(g)), g))
	}
	d.up[p] = struct{}{}
}

// PeerDown implements engine.Handler: the radio learns every group again
// if it comes back.
func (d *membership) PeerDown(p *engine.Pipe, _ bool) {
	d.cmdMu.Lock()
	delete(d.up, p)
	d.cmdMu.Unlock()
}

// Command implements engine.Handler; a radio sends no commands a dish uses.
func (d *membership) Command(*engine.Pipe, []byte) error { return nil }
