package zmtp

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
)

// Frame is one frame as Reader returns it.
type Frame struct {
	Flags byte   // FlagMore, FlagCommand (FlagLong is cleared)
	Body  []byte // the body, owned by the caller
}

// Reader reads greetings and frames from an io.Reader, one at a time. It
// reads exactly the bytes of what it returns and nothing ahead, so a caller
// may mix its calls with reads of its own; wrap a network connection in a
// bufio.Reader first if many small reads cost too much. It is for
// handshakes, tests and test peers: the engine decodes its batches of
// frames with ParseHeader over its own buffer.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	r io.Reader
	// MaxSize bounds the body of a frame; a larger announced size fails
	// with a *SizeError before anything is allocated. 0 means no limit;
	// even then a body's memory grows only as its bytes arrive, so a
	// peer that merely announces a huge frame costs nothing.
	MaxSize int64
	hdr     [LongHeaderLen]byte
	g       [GreetingLen]byte
}

// NewReader returns a Reader of r with no size limit.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// ReadGreeting reads and parses the peer's greeting (see ReadGreeting).
func (r *Reader) ReadGreeting() (Greeting, error) { return ReadGreeting(r.r, r.g[:]) }

// bodyStep is how far a body's memory may run ahead of its bytes.
const bodyStep = 64 << 10

// ReadFrame reads one frame. A peer that closes between frames gives
// io.EOF, one that closes inside a frame io.ErrUnexpectedEOF.
func (r *Reader) ReadFrame() (Frame, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:ShortHeaderLen]); err != nil {
		return Frame{}, err
	}
	h, err := ParseHeader(r.hdr[:ShortHeaderLen], r.MaxSize)
	if err == nil && h.Len == 0 {
		if _, err := io.ReadFull(r.r, r.hdr[ShortHeaderLen:LongHeaderLen]); err != nil {
			return Frame{}, unexpected(err)
		}
		h, err = ParseHeader(r.hdr[:], r.MaxSize)
	}
	if err != nil {
		return Frame{}, err
	}
	// The body's memory grows as its bytes arrive: by what has arrived
	// so far, at least bodyStep, never past the announced size.
	body := make([]byte, min(h.Size, bodyStep))
	for got := 0; ; {
		n, err := io.ReadFull(r.r, body[got:])
		got += n
		if err != nil {
			return Frame{}, unexpected(err)
		}
		if got == h.Size {
			break
		}
		k := min(h.Size-got, max(got, bodyStep))
		body = slices.Grow(body, k)[:got+k]
	}
	return Frame{Flags: h.Flags, Body: body}, nil
}

// ReadCommand reads one frame, which must be a command frame, and returns
// its body; a message frame is a *ProtocolError.
func (r *Reader) ReadCommand() ([]byte, error) {
	f, err := r.ReadFrame()
	if err != nil {
		return nil, err
	}
	if f.Flags&FlagCommand == 0 {
		return nil, protocolf("message frame during the handshake")
	}
	return f.Body, nil
}

// unexpected turns io.EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer writes greetings and frames to an io.Writer, each with one Write
// call. Its methods refuse what would break ZMTP (ErrIllegal) unless
// AllowIllegal is set, which lets conformance and hostile-peer tests send
// broken greetings and frames through the same code that writes good ones
// instead of encoding bytes by hand.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	w io.Writer
	// AllowIllegal lets every method write what it is given: greetings of
	// other versions or with bad mechanism names, reserved flag bits,
	// command frames with MORE, empty or long command names, oversized
	// PING contexts, sizes of 2^63 and more.
	AllowIllegal bool
	buf          []byte
}

// NewWriter returns a Writer to w that refuses illegal writes.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// check returns ErrIllegal for an illegal write unless it is allowed.
func (w *Writer) check(legal bool) error {
	if legal || w.AllowIllegal {
		return nil
	}
	return ErrIllegal
}

// flush writes what the method encoded into w.buf.
func (w *Writer) flush() error {
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// WriteGreeting writes g. Illegal: a major version other than 3, an empty
// mechanism name, or one over 20 bytes or not printable ASCII (a longer
// name is cut to 20 bytes).
func (w *Writer) WriteGreeting(g Greeting) error {
	if err := w.check(g.legal()); err != nil {
		return err
	}
	w.buf = g.Append(w.buf[:0])
	return w.flush()
}

// WriteFrame writes one frame with a short header up to 255 bytes of body
// and a long one above. flags may hold FlagMore and FlagCommand. Illegal:
// FlagLong (the size decides it), reserved bits, and FlagMore on a command.
func (w *Writer) WriteFrame(flags byte, body []byte) error {
	legal := flags&^(FlagMore|FlagCommand) == 0 && flags != FlagMore|FlagCommand
	if err := w.check(legal); err != nil {
		return err
	}
	w.buf = AppendFrame(w.buf[:0], flags, body)
	return w.flush()
}

// WriteHeader writes a frame header exactly as given and no body: a long
// header (9 bytes) if flags has FlagLong, else a short one, whatever the
// size. Write the body (or less of it, or none) with WriteRaw. A long
// header for a small body is legal, and decoders must take it. Illegal:
// reserved flag bits, FlagMore on a command, a size of 2^63 or more. A
// short header cannot carry a size over 255 at all.
func (w *Writer) WriteHeader(flags byte, size uint64) error {
	if flags&FlagLong == 0 && size > MaxShortSize {
		return ErrIllegal
	}
	legal := flags&^flagsKnown == 0 && flags&(FlagMore|FlagCommand) != FlagMore|FlagCommand && size <= math.MaxInt64
	if err := w.check(legal); err != nil {
		return err
	}
	w.buf = append(w.buf[:0], flags)
	if flags&FlagLong == 0 {
		w.buf = append(w.buf, byte(size))
	} else {
		w.buf = binary.BigEndian.AppendUint64(w.buf, size)
	}
	return w.flush()
}

// WriteRaw writes b as it is: a frame's body after WriteHeader, part of a
// greeting, or bytes that are not ZMTP at all.
func (w *Writer) WriteRaw(b []byte) error {
	_, err := w.w.Write(b)
	return err
}

// WriteCommand writes a command frame: name and data. Illegal: a name that
// is empty or over 255 bytes (a longer one is cut).
func (w *Writer) WriteCommand(name string, data ...[]byte) error {
	if err := w.check(name != "" && len(name) <= MaxNameLen); err != nil {
		return err
	}
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen]
	}
	return w.writeCommand(AppendCommand(nil, name, data...))
}

// writeCommand writes body as a command frame.
func (w *Writer) writeCommand(body []byte) error {
	w.buf = AppendFrame(w.buf[:0], FlagCommand, body)
	return w.flush()
}

// WriteReady writes a READY command carrying md. Illegal: a property name
// that is empty or over 255 bytes.
func (w *Writer) WriteReady(md Metadata) error {
	legal := true
	for _, p := range md {
		legal = legal && p.Name != "" && len(p.Name) <= MaxNameLen && uint64(len(p.Value)) <= math.MaxUint32
	}
	if err := w.check(legal); err != nil {
		return err
	}
	return w.writeCommand(AppendReady(nil, md))
}

// WriteError writes an ERROR command. Illegal: a reason over 255 bytes
// (it is cut to 255).
func (w *Writer) WriteError(reason string) error {
	if err := w.check(len(reason) <= MaxReasonLen); err != nil {
		return err
	}
	return w.writeCommand(AppendError(nil, reason))
}

// WritePing writes a PING with a TTL in tenths of a second and a context.
// Illegal: a context over 16 bytes.
func (w *Writer) WritePing(ttl uint16, context []byte) error {
	if err := w.check(len(context) <= MaxPingContextLen); err != nil {
		return err
	}
	return w.writeCommand(AppendPing(nil, ttl, context))
}

// WritePong writes a PONG echoing context. Illegal: a context over 16
// bytes.
func (w *Writer) WritePong(context []byte) error {
	if err := w.check(len(context) <= MaxPingContextLen); err != nil {
		return err
	}
	return w.writeCommand(AppendPong(nil, context))
}
