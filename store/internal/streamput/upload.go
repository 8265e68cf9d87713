// Package streamput is the storage server's side of one streamed put
// (docs/storage-protocol.md §12): an Upload joins a streamio.Receiver to a
// backend.Streamer's PutStream, running in a goroutine the Upload owns
// and fed through a pipe with the verified bytes only. The upload outlives
// the connection that feeds it: when that connection drops, the server
// keeps the Upload (by upload id, within its bounds of count and idle
// time), and a PUT_BEGIN with R on a new connection continues it with
// Resume from the first chunk not yet stored. No backend support is needed
// for that: the backend's PutStream simply waits for more bytes (an S3
// multipart upload stays open meanwhile), and Abort ends it, leaving
// nothing.
//
// An Upload belongs to one goroutine at a time (the one handling the
// stream's current connection); its methods are not safe for concurrent
// use.
package streamput

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/internal/streamio"
	"github.com/zmesh/zmesh/store/proto"
)

// Errors of an upload; test for them with errors.Is.
var (
	// ErrAborted is what the backend's PutStream is ended with when an
	// upload is abandoned (Abort with a nil reason).
	ErrAborted = errors.New("streamput: upload abandoned")
	// ErrSuperseded: the key already holds a newer entry, so the backend
	// stored nothing and wants no more bytes. Last writer wins is the
	// semantics, not an error: the server answers the put's FINAL with OK.
	ErrSuperseded = errors.New("streamput: a newer entry is stored; the put is over")
)

// result is what the PutStream goroutine ended with.
type result struct {
	applied bool
	err     error
}

// Upload is one streamed put in progress.
type Upload struct {
	begin  proto.Begin
	window uint32
	r      *streamio.Receiver
	pw     *io.PipeWriter
	done   chan result // receives PutStream's result once, then is closed
	res    *result     // set once the goroutine's result has been taken
}

// Start checks b, starts st.PutStream of e (e.Size and e.Hash are taken
// from b) in a goroutine reading the verified bytes, and returns the
// upload with the first PUT_CREDIT to send. ctx bounds the PutStream (the
// server's context, not the request's: the upload outlives its
// connection). window 0 means proto.DefaultWindow.
func Start(ctx context.Context, st backend.Streamer, e backend.StreamEntry, b proto.Begin, window uint32) (*Upload, proto.Credit, error) {
	r, credit, err := streamio.NewReceiver(b, 0, proto.KindPutCredit, window)
	if err != nil {
		return nil, proto.Credit{}, err
	}
	e.Size, e.Hash = int64(b.Size), b.Root
	pr, pw := io.Pipe()
	u := &Upload{begin: b, window: window, r: r, pw: pw, done: make(chan result, 1)}
	go func() { // ends when the pipe is closed (Finish or Abort) or ctx ends
		applied, err := st.PutStream(ctx, e, pr)
		pr.CloseWithError(err) // unblocks a writer if PutStream returned early
		u.done <- result{applied, err}
		close(u.done)
	}()
	return u, credit, nil
}

// Accept takes one PUT_CHUNK: verified (streamio.Receiver.Accept), its
// bytes handed to the backend. It returns the PUT_CREDIT to send. On a
// refusal the upload is aborted (nothing is stored) and the error, for
// the request's FINAL, is returned; so is the backend's error if it
// failed meanwhile, and ErrSuperseded when it found a newer entry and
// stored nothing.
func (u *Upload) Accept(c proto.Chunk) (proto.Credit, error) {
	data, credit, err := u.r.Accept(c)
	if err != nil {
		u.Abort(err)
		return proto.Credit{}, err
	}
	if _, err := u.pw.Write(data); err != nil {
		u.Abort(err)
		if res := u.wait(); res.err != nil {
			return proto.Credit{}, res.err
		}
		return proto.Credit{}, ErrSuperseded
	}
	return credit, nil
}

// Done reports whether every chunk has been accepted.
func (u *Upload) Done() bool { return u.r.Done() }

// Next returns the index of the first chunk not yet accepted: where a
// resumed stream continues.
func (u *Upload) Next() int64 { return u.r.Next() }

// Resume continues the upload on a new connection, for a PUT_BEGIN with R
// whose fields must be those the upload began with (else an error
// matching proto.ErrUnknownUpload, and the upload is left as it was). It
// returns the PUT_CREDIT that tells the client where to continue; the
// first chunk then carries its full proof.
func (u *Upload) Resume(b proto.Begin) (proto.Credit, error) {
	want, got := u.begin, b
	want.ID, want.Resume, got.ID, got.Resume = 0, false, 0, false
	if want != got {
		return proto.Credit{}, fmt.Errorf("%w: upload %x began with other fields", proto.ErrUnknownUpload, b.Upload)
	}
	r, credit, err := streamio.NewReceiver(b, u.r.Next(), proto.KindPutCredit, u.window)
	if err != nil {
		return proto.Credit{}, err
	}
	u.begin.ID, u.r = b.ID, r
	return credit, nil
}

// Finish ends an upload whose chunks have all been accepted, and returns
// PutStream's result: applied (the value is stored and visible) or not
// (a newer entry won), or its error. Called before every chunk is in, it
// aborts the upload and returns an error matching vstream.ErrTruncated.
func (u *Upload) Finish() (applied bool, err error) {
	if err := u.r.Finish(); err != nil {
		u.Abort(err)
		return false, err
	}
	u.pw.Close()
	res := u.wait()
	return res.applied, res.err
}

// Abort abandons the upload: the backend's PutStream ends with reason
// (ErrAborted if nil) and stores nothing. Abort waits for it, and may be
// called more than once.
func (u *Upload) Abort(reason error) {
	if reason == nil {
		reason = ErrAborted
	}
	u.pw.CloseWithError(reason)
	u.wait()
}

// wait returns PutStream's result, waiting for its goroutine to end.
func (u *Upload) wait() result {
	if u.res == nil {
		res := <-u.done
		u.res = &res
	}
	return *u.res
}
