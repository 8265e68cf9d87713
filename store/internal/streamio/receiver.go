package streamio

import (
	"fmt"

	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

// Receiver is the receiving end of one streamed value. It belongs to the
// one goroutine that reads the stream's messages.
type Receiver struct {
	id     uint64
	layout vstream.Layout
	v      *vstream.Verifier
	w      *proto.RecvWindow
	err    error // the first refusal; every later chunk gets it
}

// NewReceiver returns the receiver of the value b announces, expecting
// chunk next first (0, or where a resumed put continues: every chunk
// before it is already stored), granting window chunks (0: the default).
// creditKind is proto.KindPutCredit on a server, proto.KindReplyCredit on
// a client. It returns the first CREDIT to send, or an error matching
// proto.ErrMalformed (a BEGIN whose sizes make no layout) or vstream's
// ErrInvalid (next past the end).
func NewReceiver(b proto.Begin, next int64, creditKind proto.Kind, window uint32) (*Receiver, proto.Credit, error) {
	l, err := b.Layout()
	if err != nil {
		return nil, proto.Credit{}, fmt.Errorf("%w: %w", proto.ErrMalformed, err)
	}
	v := vstream.NewVerifier(l, vstream.Hash(b.Root))
	if err := v.Resume(next); err != nil {
		return nil, proto.Credit{}, err
	}
	w, credit := proto.NewRecvWindow(creditKind, b.ID, uint64(next), uint64(l.Chunks()), window)
	return &Receiver{id: b.ID, layout: l, v: v, w: w}, credit, nil
}

// Accept takes one CHUNK: it must be the next chunk (else an error
// matching proto.ErrStreamOrder: out of order, a duplicate, more chunks
// than declared) and verify against the root (else vstream's ErrCorrupt,
// ErrProof or ErrSize). On success it returns the chunk's bytes (c.Data,
// now authentic: store them) and the CREDIT that acknowledges them. After
// a refusal every chunk is refused with the same error; the stream is
// over (proto.NewFinal turns the error into its FINAL).
func (r *Receiver) Accept(c proto.Chunk) ([]byte, proto.Credit, error) {
	if r.err != nil {
		return nil, proto.Credit{}, r.err
	}
	if c.ID != r.id {
		return nil, proto.Credit{}, fmt.Errorf("%w: chunk of request %d given to the stream of request %d", proto.ErrUnknownUpload, c.ID, r.id)
	}
	if err := r.w.Check(c.Index); err != nil {
		r.err = err
		return nil, proto.Credit{}, err
	}
	if err := r.v.Verify(c.Proof, c.Data); err != nil {
		r.err = err
		return nil, proto.Credit{}, err
	}
	return c.Data, r.w.Accept(), nil
}

// Done reports whether every chunk has been accepted.
func (r *Receiver) Done() bool { return r.err == nil && r.w.Done() }

// Next returns the index of the chunk expected next: where a resumed
// upload would continue.
func (r *Receiver) Next() int64 { return int64(r.w.Next()) }

// Finish reports the stream's end: nil when every chunk was accepted,
// the refusal if there was one, else an error matching
// vstream.ErrTruncated (the stream ended early).
func (r *Receiver) Finish() error {
	if r.err != nil {
		return r.err
	}
	return r.v.Finish()
}

// Layout returns the value's layout.
func (r *Receiver) Layout() vstream.Layout { return r.layout }
