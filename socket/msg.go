package socket

import (
	"github.com/zmesh/zmesh/internal/bodypool"
	"github.com/zmesh/zmesh/mechanism"
)

// RoutingID identifies a SERVER's peer. It is local to the SERVER, never
// sent on the wire, never 0, and a reconnecting peer gets a new one.
type RoutingID uint32

// MaxSharedBody is the size up to which received bodies may share memory:
// bodies of at most this many bytes are carved from a slab shared with
// other received bodies (so keeping a small part of one keeps the slab
// alive), longer ones have memory of their own.
const MaxSharedBody = 1 << 10 // = bodypool.Min, which the pools serve above

// MaxDatagram is the largest UDP datagram sent or accepted, as libzmq's
// buffers: one byte of group length, the group, then the body.
const MaxDatagram = 8192

// Msg is one message. The draft socket types (CLIENT, SERVER, RADIO, DISH,
// SCATTER, GATHER) carry single-part messages in Body (and Tail); the
// classic types (REQ, REP, DEALER, ROUTER, PUB, SUB, XPUB, XSUB, PUSH,
// PULL, PAIR) may carry multipart ones in Frames.
//
// A message handed to a send call is owned by the socket until it is written
// (zmesh does not copy bodies on the send path): do not modify Body after the
// call returns nil. A received message belongs to the caller; see
// MaxSharedBody and Release for its memory.
type Msg struct {
	// Body is the payload.
	Body []byte
	// Tail, on a message being sent, is the rest of its payload: the peer
	// receives Body followed by Tail as one body. It lets a sender put a
	// small encoded header in front of a large value without copying the
	// value into one buffer (over tcp and ipc without encryption a large
	// Tail goes to the kernel as it is). Received messages have no Tail.
	Tail []byte
	// Frames, when not nil, are the frames of a multipart message, in
	// order, and Body and Tail are unused. A message of the classic types
	// with one frame may be either a Body or one Frame. Frames are not
	// copied on send (as Body) and a received message's frames belong to
	// the caller (Release does not give them back).
	Frames [][]byte
	// RoutingID is the sending peer of a message a SERVER received, and the
	// destination of one it routes.
	RoutingID RoutingID
	// Group is the RADIO/DISH group (at most 255 bytes).
	Group string
	// Peer describes the connection a received message came from; nil on
	// messages being sent.
	Peer *Peer

	pooled uint8 // where Body came from: pooledClass, pooledSlab or 0 (see Release)
}

// Peer describes one connection's far end, as established by its
// handshake. Every message received on the connection points to the same
// Peer, so servers can authorise per request.
type Peer struct {
	// Endpoint is the local endpoint the connection belongs to (the bound
	// or connected endpoint).
	Endpoint string
	// Address is the peer's address: its IP for tcp, ":uid:gid:pid" for
	// ipc, empty for inproc.
	Address string
	// SocketType is the peer's socket type, e.g. "CLIENT".
	SocketType string
	// Mechanism is the security mechanism, e.g. "CURVE".
	Mechanism string
	// UserID is the authenticated identity (PLAIN user name, CURVE or NOISE
	// public key in Z85), empty if none.
	UserID string
	// PublicKey is the peer's long-term public key (CURVE, NOISE).
	PublicKey []byte
	// Metadata is every property the peer sent.
	Metadata mechanism.Metadata
}

// Len is the length of m's payload: Body and Tail, or the sum of its
// Frames.
func (m *Msg) Len() int {
	n := len(m.Body) + len(m.Tail)
	for _, f := range m.Frames {
		n += len(f)
	}
	return n
}

// MaxFrames is the most frames a received multipart message may have: a
// peer that sends more (a message of millions of empty frames, say) is
// refused with ErrTooLarge and its connection closed. MaxMsgSize, if set,
// bounds the sum of a message's frames as well.
const MaxFrames = 1 << 16

// Release gives m.Body's memory back to zmesh for messages received later
// and sets m.Body to nil. It is optional: a body that is never released is
// simply collected by the garbage collector. Releasing pays off for
// messages received over tcp or ipc at high rates, where it replaces an
// allocation per message (over 1 KiB) or per slab of small bodies.
//
// Only memory zmesh took from its pools is reused: bodies over 1 KiB and up
// to 1 MiB received over tcp or ipc without CURVE or NOISE, and bodies of
// 1 KiB or less received over tcp, ipc or udp (with CURVE too), which
// share slabs (see MaxSharedBody): a slab is reused once every body in it
// is released. For any other message (inproc bodies, which are the
// sender's memory; large decrypted bodies; frames of multipart messages;
// messages you built) Release only sets Body to nil.
//
// Call it only when nothing refers to the body or any part of it any more:
// a released body is overwritten by a later message. Copies of a Msg share
// its body, so release one copy only.
func (m *Msg) Release() {
	switch m.pooled {
	case pooledClass:
		bodypool.Release(m.Body)
	case pooledSlab:
		bodypool.ReleaseCarved(m.Body)
	}
	m.Body, m.pooled = nil, 0
}

// The marks of Msg.pooled: a body from bodypool.New, or one carved from a
// bodypool.Slab.
const (
	pooledClass = 1 + iota
	pooledSlab
)

// MaxSubscription is the longest PUB/SUB subscription prefix zmesh sends
// or accepts (64 KiB): a subscriber announcing a longer one, as a command
// or a message, is refused with ErrTooLarge and its connection closed.
// libzmq sets no bound.
const MaxSubscription = 64 << 10
