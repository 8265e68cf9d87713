package proto

import "fmt"

// RecvWindow is a stream receiver's flow control: it checks that each
// arriving chunk is the next one and inside the window it granted, and
// says what to grant once a chunk is verified and handed on. The receiver
// thus holds at most Window chunks of one stream (those in flight), and
// the sender never waits without knowing why: every chunk the receiver
// finishes with is answered by a CREDIT.
//
// The zero value is not usable; use NewRecvWindow. A RecvWindow belongs to
// the one goroutine that reads the stream.
type RecvWindow struct {
	kind   Kind   // the kind of the CREDITs it grants
	id     uint64 // the stream's request id
	next   uint64 // index of the next chunk expected
	chunks uint64 // how many chunks the value has
	window uint32 // how many chunks past the last acknowledged may be in flight
}

// NewRecvWindow returns the flow control of a stream with the given
// number of chunks whose receiver expects chunk next first (0, or where a
// resumed put continues) and grants window chunks (0 means DefaultWindow,
// capped at MaxWindow). creditKind is KindPutCredit on a server receiving
// a put, KindReplyCredit on a client receiving a reply. The first CREDIT
// to send is returned: a server sends it to answer a PUT_BEGIN (it tells a
// resumed upload where to continue); a client sends it once it has read a
// REPLY_BEGIN.
func NewRecvWindow(creditKind Kind, id, next, chunks uint64, window uint32) (*RecvWindow, Credit) {
	if window == 0 {
		window = DefaultWindow
	}
	w := &RecvWindow{kind: creditKind, id: id, next: next, chunks: chunks, window: min(window, MaxWindow)}
	return w, w.credit()
}

func (w *RecvWindow) credit() Credit {
	return Credit{Kind: w.kind, ID: w.id, Next: w.next, Window: w.window}
}

// Next returns the index of the chunk the receiver expects next.
func (w *RecvWindow) Next() uint64 { return w.next }

// Done reports whether every chunk has arrived.
func (w *RecvWindow) Done() bool { return w.next >= w.chunks }

// Check refuses a chunk the receiver must not take, with an error
// matching ErrStreamOrder: an index other than Next (out of order, a
// duplicate, a gap), or past the last chunk. A chunk that passes is
// verified by the caller, then acknowledged with Accept.
func (w *RecvWindow) Check(index uint64) error {
	switch {
	case index >= w.chunks:
		return fmt.Errorf("%w: chunk %d of a %d-chunk value (more chunks than declared)", ErrStreamOrder, index, w.chunks)
	case index != w.next:
		return fmt.Errorf("%w: chunk %d where chunk %d was expected", ErrStreamOrder, index, w.next)
	}
	return nil
}

// Accept records that chunk Next was verified and handed on, and returns
// the CREDIT that acknowledges it and opens the window by one chunk.
// A receiver may leave some credits unsent (each supersedes the earlier
// ones), but not so many that the sender's window closes.
func (w *RecvWindow) Accept() Credit {
	w.next++
	return w.credit()
}

// SendWindow is a stream sender's flow control: which chunks the credits
// received so far allow it to send. The zero value allows nothing until
// the first CREDIT. A SendWindow belongs to one goroutine.
type SendWindow struct {
	acked uint64 // every chunk below is acknowledged
	limit uint64 // chunks below may be sent
}

// Grant applies a CREDIT. Credits only move forward: one whose Next is
// below an earlier one's is stale (reordered) and refused with
// ErrStreamOrder, as is one acknowledging chunks not sent yet (sent is
// how many chunks the sender has sent so far, counting from 0 even after
// a resume: the first credit of a resumed put sets where sending starts).
func (w *SendWindow) Grant(c Credit, sent uint64) error {
	if c.Next < w.acked {
		return fmt.Errorf("%w: credit for chunk %d after one for chunk %d", ErrStreamOrder, c.Next, w.acked)
	}
	if w.limit != 0 && c.Next > sent {
		return fmt.Errorf("%w: credit acknowledges chunk %d, only %d sent", ErrStreamOrder, c.Next, sent)
	}
	w.acked = c.Next
	w.limit = c.Next + uint64(c.Window)
	return nil
}

// Acked returns how many chunks the receiver has acknowledged (the Next
// of the latest credit): where a resumed put continues.
func (w *SendWindow) Acked() uint64 { return w.acked }

// CanSend reports whether chunk index may be sent now.
func (w *SendWindow) CanSend(index uint64) bool { return index < w.limit }
