package streamio

import (
	"fmt"
	"io"

	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

// Sender is the sending end of one streamed value: it reads the value in
// order from its reader and makes each CHUNK with its proof, as far as
// the credits it was granted allow. It belongs to one goroutine.
type Sender struct {
	kind   proto.Kind
	id     uint64
	tree   *vstream.Tree
	r      io.Reader
	pos    int64 // bytes of r consumed (the value's offset)
	next   int64 // index of the next chunk to send
	first  bool  // the next chunk is the first sent: it carries the full path
	win    proto.SendWindow
	primed bool // a credit has set where to start
}

// NewSender returns the sender of the value whose tree is t (from the
// sender's first pass, vstream.Hasher, or the leaves kept beside it,
// vstream.TreeFromLeaves), read from r from its start. chunkKind is
// proto.KindPutChunk on a client, proto.KindReplyChunk on a server; id is
// the request id.
func NewSender(chunkKind proto.Kind, id uint64, t *vstream.Tree, r io.Reader) *Sender {
	return &Sender{kind: chunkKind, id: id, tree: t, r: r, first: true}
}

// Grant applies a CREDIT. The first one also says where to start (a
// resumed put starts where the receiver's data ends); the reader is
// skipped forward to it. Errors match proto.ErrStreamOrder (a stale
// credit, or one for chunks not sent) or come from the reader.
func (s *Sender) Grant(c proto.Credit) error {
	if !s.primed {
		s.primed = true
		start := int64(c.Next)
		if start > s.tree.Layout().Chunks() {
			return fmt.Errorf("%w: credit to start at chunk %d of %d", proto.ErrStreamOrder, start, s.tree.Layout().Chunks())
		}
		skip := min(s.tree.Layout().Offset(start), s.tree.Layout().Size) - s.pos
		if _, err := io.CopyN(io.Discard, s.r, skip); err != nil {
			return fmt.Errorf("skip to chunk %d: %w", start, err)
		}
		s.pos += skip
		s.next = start
		return s.win.Grant(c, uint64(start))
	}
	return s.win.Grant(c, uint64(s.next))
}

// Done reports whether every chunk has been sent.
func (s *Sender) Done() bool { return s.primed && s.next >= s.tree.Layout().Chunks() }

// Next reads the next chunk into buf (which must hold a whole chunk) and
// returns its CHUNK message, whose Data and Proof alias buf and proof;
// ok is false when the window is closed (wait for a credit) or every
// chunk is sent. A reader that ends early fails it with an error matching
// vstream.ErrSize.
func (s *Sender) Next(buf, proof []byte) (c proto.Chunk, ok bool, err error) {
	l := s.tree.Layout()
	if !s.primed || s.next >= l.Chunks() || !s.win.CanSend(uint64(s.next)) {
		return proto.Chunk{}, false, nil
	}
	n := l.ChunkLen(s.next)
	if len(buf) < n {
		return proto.Chunk{}, false, fmt.Errorf("%w: a %d-byte buffer for a %d-byte chunk", vstream.ErrInvalid, len(buf), n)
	}
	if _, err := io.ReadFull(s.r, buf[:n]); err != nil {
		return proto.Chunk{}, false, fmt.Errorf("%w: chunk %d: %w", vstream.ErrSize, s.next, err)
	}
	proof, err = s.tree.Proof(proof[:0], s.next, s.first)
	if err != nil {
		return proto.Chunk{}, false, err
	}
	c = proto.Chunk{Kind: s.kind, ID: s.id, Index: uint64(s.next), Proof: proof, Data: buf[:n]}
	s.pos += int64(n)
	s.next++
	s.first = false
	return c, true, nil
}
