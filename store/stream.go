package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/streamio"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

// ChunkSize is the chunk size of the values PutReader streams, and the
// size above which a streaming get receives a value as chunks.
const ChunkSize = 1 << 20

// PutReader stores the size bytes r gives under key, like Put, but
// streamed (docs/storage-protocol.md §12): the value is never held in
// memory, only a few chunks of it (a value of at most ChunkSize bytes is
// sent as one PUT). A streamed value goes to one storage: a key that
// several writable storages hold is refused (proto.StatusUnsupported). It reads r twice (the BLAKE3 hash the
// chunks are verified against comes first), so r should be an
// io.ReadSeeker such as an *os.File; any other reader is first copied to
// a temporary file. When the connection drops mid-way, the upload
// resumes from the last chunk the server verified. The client's Timeout,
// if set, bounds each wait for the server, not the whole transfer.
//
// Errors are Put's, and: r giving fewer or more than size bytes
// (matching vstream's ErrSize, reported before anything is sent);
// proto.ErrStreamUnsupported for a server that does not speak streams;
// proto.StatusTooLarge with the server's limit.
func (c *Client) PutReader(ctx context.Context, key string, r io.Reader, size int64, opts ...Option) error {
	if ctx == nil {
		return errNilContext
	}
	if size < 0 {
		return fmt.Errorf("store: put %q: size %d: %w", key, size, vstream.ErrSize)
	}
	if size <= ChunkSize {
		// One chunk's worth: a plain PUT does (and reaches servers that do
		// not stream, and keys several storages hold).
		v, err := io.ReadAll(io.LimitReader(r, size+1))
		if err == nil && int64(len(v)) != size {
			err = fmt.Errorf("%w: the reader gave %d bytes, %d declared", vstream.ErrSize, len(v), size)
		}
		if err != nil {
			return fmt.Errorf("store: put %q: %w", key, err)
		}
		return c.Put(ctx, key, v, opts...)
	}
	rs, done, err := seekable(r, size)
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	defer done()
	l, err := vstream.NewLayout(size, ChunkSize)
	if err != nil {
		return err
	}
	h := vstream.NewHasher(l)
	if _, err := h.ReadFrom(io.LimitReader(rs, size)); err != nil {
		return fmt.Errorf("store: put %q: reading the value: %w", key, err)
	}
	t, err := h.Sum()
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	m := withOptions(proto.Message{Kind: proto.KindPut, Key: key}, opts)
	if c.clock != nil && m.Timestamp.IsZero() {
		m.Timestamp = c.clock.Now()
	}
	b := proto.Begin{Kind: proto.KindPutBegin, Key: key, Encoding: m.Encoding, Timestamp: m.Timestamp,
		Size: uint64(size), ChunkSize: ChunkSize, Root: t.Root()}
	rand.Read(b.Upload[:])
	resumes := 0
	for {
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("store: put %q: %w", key, err)
		}
		err := c.putStream(ctx, b, t, rs)
		switch {
		case errors.Is(err, errConnLost) && resumes < 100 && ctx.Err() == nil:
			resumes++
			b.Resume = true
			continue
		case b.Resume && errors.Is(err, proto.StatusUnknownUpload):
			b.Resume = false // the server lost it: start over
			rand.Read(b.Upload[:])
			continue
		case err != nil:
			return fmt.Errorf("store: put %q: %w", key, err)
		}
		return nil
	}
}

// putStream makes one attempt at a streamed put: PUT_BEGIN (with R to
// resume), then the chunks the server's credits ask for, until its
// FINAL. A dropped connection gives errConnLost.
func (c *Client) putStream(ctx context.Context, b proto.Begin, t *vstream.Tree, r io.Reader) error {
	k := newCall()
	id, l, err := c.startBody(ctx, k, proto.KindPutBegin, func(id uint64) ([]byte, error) {
		b.ID = id
		return b.AppendBinary(nil)
	}, nil)
	if err != nil {
		return err
	}
	defer c.forget(id)
	snd := streamio.NewSender(proto.KindPutChunk, id, t, r)
	buf := make([]byte, ChunkSize)
	var proof []byte
	for {
		var a proto.Message
		if snd.Done() {
			// Every chunk is sent: the server makes the value durable
			// (an fsync, an S3 multipart completion) before it answers.
			d := c.opts.Timeout
			if d > 0 {
				d = max(d, finalWait)
			}
			a, err = c.waitFor(ctx, k, d)
		} else {
			a, err = c.wait(ctx, k)
		}
		if err != nil {
			return err
		}
		switch a.Kind {
		case proto.KindFinal:
			if err := a.Err(); err != nil {
				if errors.Is(err, proto.StatusMalformed) || errors.Is(err, proto.StatusUnsupported) {
					return fmt.Errorf("%w: %w", proto.ErrStreamUnsupported, err)
				}
				return err
			}
			return nil
		case proto.KindPutCredit:
			cr, err := proto.DecodeCredit(a.Value)
			if err != nil {
				return err
			}
			if err := snd.Grant(cr); err != nil {
				return err
			}
			for {
				ch, ok, err := snd.Next(buf, proof)
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				proof = ch.Proof
				body, err := ch.AppendBinary(make([]byte, 0, ch.EncodedLen()))
				if err != nil {
					return err
				}
				if err := c.sendOn(ctx, l, id, body); err != nil {
					return err
				}
			}
		}
	}
}

// sendOn sends one more message of request id on l.
func (c *Client) sendOn(ctx context.Context, l *link, id uint64, body []byte) error {
	err := l.sock.TrySend(body)
	if errors.Is(err, socket.ErrWouldBlock) {
		err = c.sendSlow(ctx, l, id, body)
	}
	return err
}

// finalWait is the least a streamed put waits for its FINAL once every
// chunk is sent.
const finalWait = time.Minute

// wait takes the next message of k's answer, bounded by the client's
// Timeout when ctx has no deadline.
func (c *Client) wait(ctx context.Context, k *call) (proto.Message, error) {
	return c.waitFor(ctx, k, c.opts.Timeout)
}

// waitFor takes the next message of k's answer, waiting at most d (0: no
// bound) when ctx has no deadline.
func (c *Client) waitFor(ctx context.Context, k *call, d time.Duration) (proto.Message, error) {
	if _, ok := ctx.Deadline(); ok || d <= 0 {
		return k.next(ctx)
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	m, err := k.next(wctx)
	if err != nil && ctx.Err() == nil && wctx.Err() != nil {
		return m, fmt.Errorf("no answer from the server for %v: %w", d, context.DeadlineExceeded)
	}
	return m, err
}

// seekable returns r as an io.ReadSeeker: itself, or a temporary file
// holding its size bytes (removed by done).
func seekable(r io.Reader, size int64) (io.ReadSeeker, func(), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		return rs, func() {}, nil
	}
	f, err := os.CreateTemp("", "zmesh-put-*")
	if err != nil {
		return nil, nil, err
	}
	done := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, io.LimitReader(r, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%w: the reader gave %d bytes, %d declared", vstream.ErrSize, n, size)
	}
	if err != nil {
		done()
		return nil, nil, err
	}
	return f, done, nil
}

// StreamInfo describes a value GetReader returns.
type StreamInfo struct {
	// Key, Encoding and Timestamp are the entry's, as in a Sample.
	Key       string
	Encoding  string
	Timestamp hlc.Timestamp
	// Size is the value's length in bytes.
	Size int64
	// Hash is the value's BLAKE3-256 hash, every byte read verified
	// against it.
	Hash [32]byte
}

// GetReader returns the value stored under key (a plain key) as a
// reader, streamed: a value larger than ChunkSize arrives in chunks, each
// verified against the value's BLAKE3 hash before the reader gives it
// (a corrupted one fails the read with an error matching vstream's
// ErrCorrupt), and the server sends only a few chunks beyond what the
// caller has read. The caller must Close it. A key that holds nothing
// gives ok=false. ctx bounds the whole read; the client's Timeout, if
// set, bounds each wait for the server.
func (c *Client) GetReader(ctx context.Context, key string) (io.ReadCloser, StreamInfo, bool, error) {
	if ctx == nil {
		return nil, StreamInfo{}, false, errNilContext
	}
	k := newCall()
	id, l, err := c.start(ctx, k, proto.Message{Kind: proto.KindQuery, Key: key, Stream: true}, nil)
	if err != nil {
		return nil, StreamInfo{}, false, err
	}
	g := &getReader{c: c, ctx: ctx, k: k, id: id, l: l}
	for {
		a, err := c.wait(ctx, k)
		if err != nil {
			c.forget(id)
			return nil, StreamInfo{}, false, fmt.Errorf("store: get %q: %w", key, err)
		}
		switch a.Kind {
		case proto.KindFinal:
			if err := a.Err(); err != nil {
				return nil, StreamInfo{}, false, fmt.Errorf("store: get %q: %w", key, err)
			}
			if g.info.Key == "" {
				return nil, StreamInfo{}, false, nil
			}
			return io.NopCloser(&g.small), g.info, true, nil
		case proto.KindReply:
			if a.Key != key {
				continue // the admin space's reply to an admin query
			}
			g.info = StreamInfo{Key: a.Key, Encoding: a.Encoding, Timestamp: a.Timestamp, Size: int64(len(a.Value)), Hash: vstream.Sum(a.Value)}
			g.small.b = a.Value
		case proto.KindReplyBegin:
			b, err := proto.DecodeBegin(a.Value)
			if err != nil {
				c.forget(id)
				return nil, StreamInfo{}, false, fmt.Errorf("store: get %q: %w", key, err)
			}
			r, credit, err := streamio.NewReceiver(b, 0, proto.KindReplyCredit, proto.DefaultWindow)
			if err != nil {
				c.forget(id)
				return nil, StreamInfo{}, false, fmt.Errorf("store: get %q: %w", key, err)
			}
			g.recv = r
			g.info = StreamInfo{Key: b.Key, Encoding: b.Encoding, Timestamp: b.Timestamp, Size: int64(b.Size), Hash: b.Root}
			if err := g.credit(credit); err != nil {
				c.forget(id)
				return nil, StreamInfo{}, false, err
			}
			return g, g.info, true, nil
		}
	}
}

// bytesReader reads a small value.
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// getReader reads a streamed reply.
type getReader struct {
	c     *Client
	ctx   context.Context
	k     *call
	id    uint64
	l     *link
	info  StreamInfo
	small bytesReader
	recv  *streamio.Receiver
	cur   []byte // verified bytes not yet read
	err   error
	done  bool
}

func (g *getReader) credit(cr proto.Credit) error {
	b, err := cr.AppendBinary(nil)
	if err != nil {
		return err
	}
	return g.c.sendOn(g.ctx, g.l, g.id, b)
}

// Read gives the value's verified bytes.
func (g *getReader) Read(p []byte) (int, error) {
	for len(g.cur) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		if g.recv.Done() {
			g.err = g.finish()
			if g.err == nil {
				g.err = io.EOF
			}
			continue
		}
		a, err := g.c.wait(g.ctx, g.k)
		if err != nil {
			g.err = fmt.Errorf("store: get %q: %w", g.info.Key, err)
			continue
		}
		switch a.Kind {
		case proto.KindFinal:
			g.done = true
			if err := a.Err(); err != nil {
				g.err = fmt.Errorf("store: get %q: %w", g.info.Key, err)
			} else {
				g.err = fmt.Errorf("store: get %q: %w", g.info.Key, g.recv.Finish())
			}
		case proto.KindReplyChunk:
			ch, err := proto.DecodeChunk(a.Value)
			if err == nil {
				var cr proto.Credit
				g.cur, cr, err = g.recv.Accept(ch)
				if err == nil {
					err = g.credit(cr)
				}
			}
			if err != nil {
				g.err = fmt.Errorf("store: get %q: %w", g.info.Key, err)
			}
		}
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// finish waits for the FINAL after the last chunk.
func (g *getReader) finish() error {
	for !g.done {
		a, err := g.c.wait(g.ctx, g.k)
		if err != nil {
			return fmt.Errorf("store: get %q: %w", g.info.Key, err)
		}
		if a.Kind == proto.KindFinal {
			g.done = true
			if err := a.Err(); err != nil {
				return fmt.Errorf("store: get %q: %w", g.info.Key, err)
			}
		}
	}
	return nil
}

// Close abandons what is left of the reply.
func (g *getReader) Close() error {
	if !g.done {
		g.c.forget(g.id)
		g.done = true
	}
	if g.err == nil {
		g.err = errors.New("store: read after Close")
	}
	return nil
}
