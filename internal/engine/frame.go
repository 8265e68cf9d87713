package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/zmesh/zmesh/internal/bodypool"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

const (
	hsBufSize   = 2 << 10           // the reader's buffer until the handshake succeeds
	hsGrowStep  = 4 << 10           // a large command's memory grows by at most this much ahead of its bytes during the handshake
	readBufSize = 64 << 10          // the reader's buffer: many small frames per read(2)
	slabSize    = bodypool.SlabSize // small received bodies are carved from slabs of up to this size: a size class of the runtime's small allocator (32 KiB is one of its large objects, from the page heap)
	slabFirst   = 4 << 10           // a connection's first slab; each next one is twice as large
	slabMax     = 1 << 10           // bodies up to this size come from a slab
	// slabCarveMax is the most a slab gives at once: a body of slabMax
	// bytes with the scratch a codec decrypts it in (OpenerInto).
	slabCarveMax = slabMax + 64
	growStep     = 1 << 20 // a large body's memory grows by at most this much ahead of its bytes
	// directMin: once established, a body at least this large that is not
	// all in the read buffer yet is read straight into its own memory.
	// Below it, copying out of the buffer costs less than the reads it
	// saves (one read(2) takes many such frames).
	directMin = 16 << 10
	// peekLen bounds a read while large frames come (see frameReader.peek):
	// the next frame's header and the start of its body.
	peekLen = 4 << 10
	// smallRunMax small frames in a row end the reads of peekLen bytes.
	smallRunMax = 8
	// maxCommand bounds a command frame once the handshake is done (and
	// no mechanism wraps frames in MESSAGE commands): the largest is a
	// SUBSCRIBE, whose topic may be up to MaxSubscription bytes.
	maxCommand = 1 + len("SUBSCRIBE") + socket.MaxSubscription
)

// frameReader decodes frames straight out of one large buffer. It is owned
// by a connection's reader goroutine (and, before it, by the handshake).
//
// Until established is called the peer is unauthenticated, and whatever it
// makes us hold is paid for by every hostile connection alike: the buffer
// is small (hsBufSize), a frame larger than it gets memory in steps of
// hsGrowStep as its bytes arrive, not growStep, and no frame may exceed
// socket.MaxHandshakeFrame, whatever MaxMsgSize says.
type frameReader struct {
	r        io.Reader
	buf      []byte
	pos, end int
	max      int64         // maximum body size now, 0 = unlimited
	cmdMax   int           // maximum command body size, 0 = as max
	limit    int64         // maximum body size once established (MaxMsgSize)
	step     int           // growth step for frames larger than buf
	slab     bodypool.Slab // the current slab for small bodies
	slabNext int           // size of the last slab made
	slabbed  bool          // the first small body is out: the next ones come from slabs
	hsBuf    *[]byte       // the handshake's buffer, from hsBufPool, until established

	// Once established over a tcp or ipc connection, the reader holds its
	// buffers (bufs: the read buffer and the reader's batch) only while
	// bytes move: when the buffer is empty and the socket has nothing to
	// read, they go back to their pool and the reader waits for
	// readability through rc, taking buffers again only when bytes
	// arrive. An idle connection then holds none of them.
	rc     syscall.RawConn
	bufs   *connBufs
	rawFn  func(fd uintptr) bool // f.rawRead, bound once
	rawN   int
	rawErr error
	pinned bool // the reader's batch is not empty: keep bufs

	// While a peer sends large frames (directMin), reads into the buffer
	// take at most peekLen bytes: the next frame's header and a little
	// of its body, whose rest is then read straight into its own memory
	// instead of being copied out of a buffer the read filled. smallRun
	// small frames in a row (more than smallRunMax) end it, so a peer
	// sending small frames gets full reads again, while a message whose
	// small frames (an envelope) come before a large one keeps it.
	peek     bool
	smallRun int
}

// hsBufPool holds the handshake's read buffers (hsBufSize bytes): a
// connection needs one only until its handshake succeeds.
var hsBufPool = sync.Pool{New: func() any { b := make([]byte, hsBufSize); return &b }}

func newFrameReader(r io.Reader, max int64) *frameReader {
	pre := int64(socket.MaxHandshakeFrame)
	if max > 0 && max < pre {
		pre = max
	}
	hb := hsBufPool.Get().(*[]byte)
	return &frameReader{r: r, buf: *hb, hsBuf: hb, max: pre, limit: max, step: hsGrowStep}
}

// established switches to the buffers of an authenticated link, keeping
// any bytes the peer already sent: the read buffer of b (a recycled one,
// see connBufs; nil: one from the pool). With rc set (a tcp or ipc connection) the buffers are
// given back while the connection is idle (see frameReader).
func (f *frameReader) established(b *connBufs, rc syscall.RawConn) {
	f.step, f.max = growStep, f.limit
	if b == nil {
		b = connBufPool.Get().(*connBufs)
	}
	f.bufs, f.rc = b, rc
	if rc != nil {
		f.rawFn = f.rawRead
	}
	f.end = copy(b.read, f.buf[f.pos:f.end])
	f.pos = 0
	f.buf = b.read
	// Nothing the handshake returned aliases its buffer any more (the
	// mechanisms copy what they keep), so it serves the next one.
	if hb := f.hsBuf; hb != nil {
		f.hsBuf = nil
		hsBufPool.Put(hb)
	}
}

// acquire takes the reader's buffers from their pool (an idle reader has
// none).
func (f *frameReader) acquire() {
	f.bufs = connBufPool.Get().(*connBufs)
	f.buf = f.bufs.read
}

// release gives an empty reader's buffers back to their pool. The rest of
// the current slab is kept: dropping it would cost a new slab per request
// on a request-reply link, which goes idle after each message.
func (f *frameReader) release() {
	if f.bufs == nil || f.end != 0 {
		return
	}
	connBufPool.Put(f.bufs)
	f.bufs, f.buf, f.pos = nil, nil, 0
}

// rawRead is the function given to rc.Read: one non-blocking read into the
// buffer, which it releases before the runtime parks the reader
// (EAGAIN) and takes again once the socket is readable.
func (f *frameReader) rawRead(fd uintptr) bool {
	if f.bufs == nil {
		f.acquire()
	}
	b := f.buf[:f.readEnd(0)]
	n, err := syscall.Read(int(fd), b)
	for err == syscall.EINTR {
		n, err = syscall.Read(int(fd), b)
	}
	if err == syscall.EAGAIN {
		if !f.pinned {
			f.release()
		}
		return false
	}
	f.rawN, f.rawErr = n, err
	return true
}

// readIdle reads into the empty buffer through rc (see rawRead).
func (f *frameReader) readIdle() error {
	if err := f.rc.Read(f.rawFn); err != nil {
		return err
	}
	n, err := f.rawN, f.rawErr
	f.rawErr = nil
	switch {
	case err != nil:
		return os.NewSyscallError("read", err)
	case n == 0:
		return io.EOF
	}
	f.end = n
	return nil
}

// wireError is a zmtp error as the engine reports it: a *zmtp.SizeError
// matches ErrTooLarge, a *zmtp.ProtocolError ErrProtocol, with the same
// text.
type wireError struct{ err error }

func (e *wireError) Error() string { return e.err.Error() }
func (e *wireError) Unwrap() error { return e.err }
func (e *wireError) Is(target error) bool {
	return target == socket.ErrTooLarge && errors.Is(e.err, zmtp.ErrTooLarge) ||
		target == socket.ErrProtocol && errors.Is(e.err, zmtp.ErrProtocol)
}

// fill reads more bytes, keeping the unread ones. It returns io.EOF (or
// io.ErrUnexpectedEOF mid-frame) when the peer closes.
func (f *frameReader) fill(need int) error {
	if f.pos > 0 {
		n := copy(f.buf, f.buf[f.pos:f.end])
		f.pos, f.end = 0, n
	}
	if f.end == 0 && f.rc != nil {
		if err := f.readIdle(); err != nil {
			return err
		}
	}
	for f.end < need {
		n, err := f.r.Read(f.buf[f.end:f.readEnd(need)])
		f.end += n
		if err != nil {
			if f.end >= need {
				return nil
			}
			if errors.Is(err, io.EOF) && f.end > 0 {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readEnd is how far into the buffer the next read may fill it, needing
// the bytes up to need: all of it, or at most peekLen more while large
// frames come.
func (f *frameReader) readEnd(need int) int {
	if !f.peek {
		return len(f.buf)
	}
	return min(len(f.buf), max(need, f.end+peekLen))
}

// buffered reports whether a whole frame (or at least a large frame's
// header) is already in the buffer, so reading it will not block.
func (f *frameReader) buffered() bool {
	h, err := zmtp.ParseHeader(f.buf[f.pos:f.end], f.max)
	if err != nil || h.Len == 0 {
		// On a bad header next fails: what came before it goes first.
		return false
	}
	return h.Len+h.Size > len(f.buf) || f.end-f.pos >= h.Len+h.Size
}

// next reads one frame. If owned is false, body aliases the read buffer and
// is valid only until the next call; otherwise it is a fresh allocation.
func (f *frameReader) next() (flags byte, body []byte, owned bool, err error) {
	h, err := zmtp.ParseHeader(f.buf[f.pos:f.end], f.max)
	for err == nil && h.Len == 0 {
		if err := f.fill(h.Need); err != nil {
			return 0, nil, false, err
		}
		h, err = zmtp.ParseHeader(f.buf[f.pos:f.end], f.max)
	}
	if err != nil {
		if f.step == hsGrowStep && errors.Is(err, zmtp.ErrTooLarge) && f.max != f.limit {
			err = fmt.Errorf("%w before the handshake completes", err)
		}
		return 0, nil, false, &wireError{err}
	}
	flags, hdr, n := h.Flags, h.Len, h.Size
	if f.cmdMax > 0 && flags&zmtp.FlagCommand != 0 && n > f.cmdMax {
		return 0, nil, false, &wireError{&zmtp.SizeError{Size: uint64(n), Max: uint64(f.cmdMax)}}
	}
	if hdr+n <= len(f.buf) && (n < directMin || f.end-f.pos >= hdr+n || f.step != growStep) {
		if f.end-f.pos < hdr+n {
			if err := f.fill(hdr + n); err != nil {
				return 0, nil, false, err
			}
		}
		body = f.buf[f.pos+hdr : f.pos+hdr+n]
		f.pos += hdr + n
		if f.peek && n < directMin {
			if f.smallRun++; f.smallRun > smallRunMax {
				f.peek = false
			}
		}
		return flags, body, false, nil
	}
	// A frame larger than the buffer, or a large one (directMin) not yet
	// all in it: read it into its own memory, straight from the
	// connection (one copy of its bytes, not one into the buffer and
	// another out of it), memory that grows only as bytes arrive, so a
	// peer that merely announces a huge size cannot make us allocate it.
	f.pos += hdr
	have := f.end - f.pos
	if have > n {
		have = n
	}
	if f.step == growStep {
		f.peek, f.smallRun = true, 0
	}
	if n <= f.step+f.step/8 {
		// About one step (a 1 MiB value with its protocol header is just
		// over it): the whole body at once, pooled where a pool serves it.
		body = bodypool.New(n)
		copy(body, f.buf[f.pos:f.pos+have])
		f.pos += have
		if _, err := io.ReadFull(f.r, body[have:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, false, err
		}
		return flags, body, true, nil
	}
	body = make([]byte, 0, f.step)
	body = append(body, f.buf[f.pos:f.pos+have]...)
	f.pos += have
	for len(body) < n {
		if len(body) == cap(body) {
			grown := make([]byte, len(body), min(n, cap(body)+max(cap(body), f.step)))
			copy(grown, body)
			body = grown
		}
		k, err := f.r.Read(body[len(body):cap(body)])
		body = body[:len(body)+k]
		if err != nil && len(body) < n {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, false, err
		}
	}
	return flags, body, true, nil
}

// own returns a copy of a body that aliases the read buffer. Small bodies
// are carved from a shared slab (no allocation per message; a retained
// message keeps its slab alive), larger ones get their own allocation.
// slabbed reports a body carved from a slab.
func (f *frameReader) own(b []byte) (out []byte, slabbed bool) {
	n := len(b)
	if n == 0 {
		return []byte{}, false
	}
	if n > slabMax {
		out = bodypool.New(n)
	} else {
		out, slabbed = f.carve(n)
	}
	copy(out, b)
	return out, slabbed
}

// carve returns n bytes (at most slabCarveMax) of memory for a small
// received body, carved from the current slab (slabbed) unless it is the
// connection's first. Its contents are not cleared.
func (f *frameReader) carve(n int) (out []byte, slabbed bool) {
	if !f.slabbed {
		// The first small body gets memory of its own: a short-lived
		// connection (one request, one reply) then allocates 16 bytes,
		// not a slab, and the slabs start with the second body.
		f.slabbed = true
		return make([]byte, n), false
	}
	if !f.slab.Room(n) {
		// Slabs start small and double up to slabSize, so a connection
		// that receives a few messages does not pay for a whole slab.
		f.slabNext = min(max(2*f.slabNext, slabFirst), slabSize)
		f.slab.Next(f.slabNext)
	}
	return f.slab.Carve(n), true
}
