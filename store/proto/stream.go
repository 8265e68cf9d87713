package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/vstream"
)

// Streamed values (docs/storage-protocol.md §12). A value too large for one
// message travels as a BEGIN message (key, encoding, timestamp, size,
// chunk size, BLAKE3 root) followed by CHUNK messages on the same request
// id, each verified against the root as it arrives (package vstream), with
// CREDIT messages going the other way to bound what the sender has in
// flight. Puts stream from the client (PUT_BEGIN, PUT_CHUNK, PUT_CREDIT
// from the server); query answers stream from the server (REPLY_BEGIN,
// REPLY_CHUNK, REPLY_CREDIT from the client).
//
// These kinds have their own types (Begin, Chunk, Credit) and decoders
// (DecodeBegin, DecodeChunk, DecodeCredit); Decode refuses them with an
// error that says so, which is what a peer that does not speak streams
// answers. IsStream tells from a message's kind byte which decoder to use.
const (
	// KindPutBegin opens a streamed put (or, with Resume, resumes one).
	KindPutBegin Kind = 0x04
	// KindPutChunk carries one chunk of a streamed put.
	KindPutChunk Kind = 0x05
	// KindReplyCredit lets the server send more chunks of a streamed reply.
	KindReplyCredit Kind = 0x06
	// KindReplyBegin opens a streamed reply in a query's answer.
	KindReplyBegin Kind = 0x84
	// KindReplyChunk carries one chunk of a streamed reply.
	KindReplyChunk Kind = 0x85
	// KindPutCredit acknowledges the chunks of a streamed put verified so
	// far and lets the client send more.
	KindPutCredit Kind = 0x86
)

// Stream limits.
const (
	// UploadIDLen is the size of an upload id.
	UploadIDLen = 16
	// MaxProofNodes is the most parent nodes a chunk carries: one per level
	// of the value's tree, which has fewer than 64 levels.
	MaxProofNodes = 63
	// DefaultWindow is the credit a receiver grants unless configured
	// otherwise: chunks in flight beyond the last one acknowledged. With
	// 1 MiB chunks each side holds at most a few MiB per stream.
	DefaultWindow = 4
	// MaxWindow is the largest window a receiver may grant; a CREDIT
	// granting more is malformed.
	MaxWindow = 64
	// MaxStreamSize is the largest size a BEGIN may declare (2^62 bytes);
	// servers refuse far less (their configured value limit).
	MaxStreamSize = 1 << 62
)

// Flags of the stream kinds (and QUERY's S).
const (
	// flagResume: PUT_BEGIN resumes the upload named by its upload id.
	flagResume = 0x04
	// flagStream: a QUERY's client accepts streamed replies.
	flagStream = 0x02
)

// Errors of streamed values; test for them with errors.Is.
var (
	// ErrStreamOrder: a chunk arrived that the receiver did not expect:
	// out of order, beyond the granted window, or after the last chunk.
	ErrStreamOrder = errors.New("storage protocol: chunk out of order")
	// ErrUnknownUpload: a chunk for a request id with no open stream, or a
	// resume of an upload the server does not hold.
	ErrUnknownUpload = errors.New("storage protocol: unknown upload")
	// ErrStreamUnsupported: the peer does not speak streamed values. A
	// client reports it when a PUT_BEGIN is answered with MALFORMED or
	// UNSUPPORTED.
	ErrStreamUnsupported = errors.New("storage protocol: peer does not speak streamed values")
)

// IsStream reports whether k is one of the streamed-value kinds, decoded
// with DecodeBegin, DecodeChunk or DecodeCredit rather than Decode.
func IsStream(k Kind) bool {
	switch k {
	case KindPutBegin, KindPutChunk, KindReplyCredit, KindReplyBegin, KindReplyChunk, KindPutCredit:
		return true
	}
	return false
}

func streamKindName(k Kind) string {
	switch k {
	case KindPutBegin:
		return "PUT_BEGIN"
	case KindPutChunk:
		return "PUT_CHUNK"
	case KindReplyCredit:
		return "REPLY_CREDIT"
	case KindReplyBegin:
		return "REPLY_BEGIN"
	case KindReplyChunk:
		return "REPLY_CHUNK"
	case KindPutCredit:
		return "PUT_CREDIT"
	}
	return ""
}

// UploadID names a streamed put across connections, so that it can be
// resumed: the client picks 16 random bytes per upload.
type UploadID [UploadIDLen]byte

// Begin opens a streamed value: a PUT_BEGIN from a client, or a
// REPLY_BEGIN from a server inside a query's answer.
type Begin struct {
	Kind Kind // KindPutBegin or KindReplyBegin
	ID   uint64
	// Resume (PUT_BEGIN only) asks the server to continue the upload named
	// Upload, whose other fields must be the same as when it began; the
	// server's first PUT_CREDIT says which chunk to send next.
	Resume bool
	// Upload names the upload (PUT_BEGIN; zero in a REPLY_BEGIN).
	Upload UploadID
	// Key is a plain key; Encoding describes the value.
	Key, Encoding string
	// Timestamp is optional in a PUT_BEGIN (zero: the server stamps it)
	// and required in a REPLY_BEGIN.
	Timestamp hlc.Timestamp
	// Size is the value's size in bytes, at most MaxStreamSize.
	Size uint64
	// ChunkSize is the size of every chunk but the last, a power of two
	// from vstream.MinChunkSize to vstream.MaxChunkSize.
	ChunkSize uint32
	// Root is the value's BLAKE3-256 hash, which every chunk is verified
	// against.
	Root [32]byte
}

// beginFixed is the size of a BEGIN's fixed fields after the header: key
// and encoding lengths, upload id, size, chunk size, root.
const beginFixed = 2 + 2 + UploadIDLen + 8 + 4 + 32

// Layout returns the chunk layout b declares.
func (b *Begin) Layout() (vstream.Layout, error) {
	if b.ChunkSize == 0 {
		return vstream.Layout{}, fmt.Errorf("%w: chunk size 0", vstream.ErrInvalid)
	}
	if b.Size > MaxStreamSize {
		return vstream.Layout{}, fmt.Errorf("%w: size %d over %d", vstream.ErrInvalid, b.Size, uint64(MaxStreamSize))
	}
	return vstream.NewLayout(int64(b.Size), int(b.ChunkSize))
}

// EncodedLen returns the exact size of b's encoding.
func (b *Begin) EncodedLen() int {
	n := HeaderLen + beginFixed + len(b.Key) + len(b.Encoding)
	if !b.Timestamp.IsZero() {
		n += hlc.EncodedLen
	}
	return n
}

func (b *Begin) check() error {
	bad := func(field, detail string) error {
		return &FormatError{Err: ErrMalformed, Kind: b.Kind, Field: field, Offset: -1, Detail: detail}
	}
	switch b.Kind {
	case KindPutBegin:
	case KindReplyBegin:
		if b.Resume {
			return bad("flags", "only a PUT_BEGIN resumes")
		}
		if b.Upload != (UploadID{}) {
			return bad("upload id", "a REPLY_BEGIN has no upload id")
		}
		if b.Timestamp.IsZero() {
			return bad("timestamp", "a REPLY_BEGIN requires a timestamp")
		}
	default:
		return bad("kind", b.Kind.String()+" is not a BEGIN")
	}
	if _, err := b.Layout(); err != nil {
		return bad("chunk size", err.Error())
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"key", len(b.Key)}, {"encoding", len(b.Encoding)}} {
		if f.n > MaxStringLen {
			return &FormatError{Err: ErrTooLarge, Kind: b.Kind, Field: f.name, Offset: -1,
				Detail: strconv.Itoa(f.n) + " bytes, limit " + strconv.Itoa(MaxStringLen)}
		}
	}
	return nil
}

// AppendBinary appends b's encoding to dst. It refuses what DecodeBegin
// would refuse (ErrMalformed, ErrTooLarge); on error dst is unchanged.
func (b *Begin) AppendBinary(dst []byte) ([]byte, error) {
	if err := b.check(); err != nil {
		return dst, err
	}
	var flags byte
	if !b.Timestamp.IsZero() {
		flags |= flagTimestamp
	}
	if b.Resume {
		flags |= flagResume
	}
	dst = append(dst, Version, byte(b.Kind), flags)
	dst = binary.BigEndian.AppendUint64(dst, b.ID)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(b.Key)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(b.Encoding)))
	dst = append(dst, b.Upload[:]...)
	dst = binary.BigEndian.AppendUint64(dst, b.Size)
	dst = binary.BigEndian.AppendUint32(dst, b.ChunkSize)
	dst = append(dst, b.Root[:]...)
	dst = append(dst, b.Key...)
	dst = append(dst, b.Encoding...)
	if !b.Timestamp.IsZero() {
		dst = b.Timestamp.Append(dst)
	}
	return dst, nil
}

// streamHeader checks the header of a stream message of one of kinds and
// returns its kind, flags and id.
func streamHeader(b []byte, allowed byte, kinds ...Kind) (Kind, byte, uint64, error) {
	if len(b) < 1 {
		return 0, 0, 0, malformed(0, "version", 0, "empty message")
	}
	if b[0] != Version {
		return 0, 0, 0, &FormatError{Err: ErrVersion, Field: "version", Offset: 0,
			Detail: "version " + strconv.Itoa(int(b[0])) + ", this side speaks " + strconv.Itoa(Version)}
	}
	if len(b) < HeaderLen {
		return 0, 0, 0, malformed(0, "header", 0, "%d bytes, a header is %d", len(b), HeaderLen)
	}
	k := Kind(b[1])
	found := false
	for _, want := range kinds {
		found = found || k == want
	}
	if !found {
		return 0, 0, 0, malformed(0, "kind", 1, "kind %v where %v was expected", k, kinds)
	}
	if b[2]&^allowed != 0 {
		return 0, 0, 0, malformed(k, "flags", 2, "reserved bits 0x%02x set", b[2]&^allowed)
	}
	return k, b[2], binary.BigEndian.Uint64(b[3:HeaderLen]), nil
}

// DecodeBegin parses a PUT_BEGIN or REPLY_BEGIN, refusing (ErrMalformed,
// ErrVersion) anything AppendBinary would not produce, including a chunk
// size that is not a power of two in range and a size over MaxStreamSize.
func DecodeBegin(b []byte) (Begin, error) {
	k, flags, id, err := streamHeader(b, flagTimestamp|flagResume, KindPutBegin, KindReplyBegin)
	if err != nil {
		return Begin{}, err
	}
	m := Begin{Kind: k, ID: id, Resume: flags&flagResume != 0}
	body := b[HeaderLen:]
	if len(body) < beginFixed {
		return Begin{}, malformed(k, "key length", HeaderLen, "%d bytes, need %d for the fixed fields", len(body), beginFixed)
	}
	kl := int(binary.BigEndian.Uint16(body[0:2]))
	el := int(binary.BigEndian.Uint16(body[2:4]))
	copy(m.Upload[:], body[4:20])
	m.Size = binary.BigEndian.Uint64(body[20:28])
	m.ChunkSize = binary.BigEndian.Uint32(body[28:32])
	copy(m.Root[:], body[32:64])
	rest := body[beginFixed:]
	off := HeaderLen + beginFixed
	if kl+el > len(rest) {
		return Begin{}, malformed(k, "key length", HeaderLen, "key %d and encoding %d bytes, only %d left", kl, el, len(rest))
	}
	strs := string(rest[:kl+el])
	m.Key, m.Encoding = strs[:kl], strs[kl:]
	rest, off = rest[kl+el:], off+kl+el
	if flags&flagTimestamp != 0 {
		if len(rest) < hlc.EncodedLen {
			return Begin{}, malformed(k, "timestamp", off, "%d bytes, need %d", len(rest), hlc.EncodedLen)
		}
		ts, err := hlc.DecodeTimestamp(rest[:hlc.EncodedLen])
		if err != nil || ts.IsZero() {
			return Begin{}, malformed(k, "timestamp", off, "bad or zero timestamp")
		}
		m.Timestamp = ts
		rest, off = rest[hlc.EncodedLen:], off+hlc.EncodedLen
	}
	if len(rest) != 0 {
		return Begin{}, malformed(k, "end", off, "%d trailing bytes", len(rest))
	}
	if err := m.check(); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Offset = HeaderLen + 20 // the fields check looks at: size and on
			if fe.Field == "upload id" {
				fe.Offset = HeaderLen + 4
			}
			if fe.Field == "timestamp" || fe.Field == "flags" {
				fe.Offset = 2
			}
		}
		return Begin{}, err
	}
	return m, nil
}

// Chunk is one chunk of a streamed value: a PUT_CHUNK from a client or a
// REPLY_CHUNK from a server.
type Chunk struct {
	Kind Kind // KindPutChunk or KindReplyChunk
	ID   uint64
	// Index is the chunk's place in the value, from 0.
	Index uint64
	// Proof is the chunk's proof: whole parent nodes of
	// vstream.ParentLen bytes, at most MaxProofNodes (vstream.Tree.Proof).
	Proof []byte
	// Data is the chunk's bytes, at most vstream.MaxChunkSize. Decode
	// makes Proof and Data point into the decoded buffer.
	Data []byte
}

// chunkFixed: index (8) and proof node count (2).
const chunkFixed = 8 + 2

// EncodedLen returns the exact size of c's encoding.
func (c *Chunk) EncodedLen() int { return HeaderLen + chunkFixed + len(c.Proof) + len(c.Data) }

func (c *Chunk) check() error {
	bad := func(field, detail string) error {
		return &FormatError{Err: ErrMalformed, Kind: c.Kind, Field: field, Offset: -1, Detail: detail}
	}
	switch {
	case c.Kind != KindPutChunk && c.Kind != KindReplyChunk:
		return bad("kind", c.Kind.String()+" is not a CHUNK")
	case len(c.Proof)%vstream.ParentLen != 0 || len(c.Proof)/vstream.ParentLen > MaxProofNodes:
		return bad("proof", fmt.Sprintf("%d bytes, not up to %d nodes of %d", len(c.Proof), MaxProofNodes, vstream.ParentLen))
	case len(c.Data) > vstream.MaxChunkSize:
		return &FormatError{Err: ErrTooLarge, Kind: c.Kind, Field: "data", Offset: -1,
			Detail: fmt.Sprintf("%d bytes, limit %d", len(c.Data), vstream.MaxChunkSize)}
	}
	return nil
}

// AppendHead appends c's encoding without Data, which comes last: the
// encoding is the result followed by c.Data (sent uncopied, as
// Message.AppendHead allows for values).
func (c *Chunk) AppendHead(dst []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return dst, err
	}
	dst = append(dst, Version, byte(c.Kind), 0)
	dst = binary.BigEndian.AppendUint64(dst, c.ID)
	dst = binary.BigEndian.AppendUint64(dst, c.Index)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.Proof)/vstream.ParentLen))
	return append(dst, c.Proof...), nil
}

// AppendBinary appends c's encoding to dst; on error dst is unchanged.
func (c *Chunk) AppendBinary(dst []byte) ([]byte, error) {
	out, err := c.AppendHead(dst)
	if err != nil {
		return dst, err
	}
	return append(out, c.Data...), nil
}

// DecodeChunk parses a PUT_CHUNK or REPLY_CHUNK. Proof and Data alias b.
func DecodeChunk(b []byte) (Chunk, error) {
	k, _, id, err := streamHeader(b, 0, KindPutChunk, KindReplyChunk)
	if err != nil {
		return Chunk{}, err
	}
	body := b[HeaderLen:]
	if len(body) < chunkFixed {
		return Chunk{}, malformed(k, "index", HeaderLen, "%d bytes, need %d", len(body), chunkFixed)
	}
	c := Chunk{Kind: k, ID: id, Index: binary.BigEndian.Uint64(body[0:8])}
	nodes := int(binary.BigEndian.Uint16(body[8:10]))
	rest := body[chunkFixed:]
	if nodes > MaxProofNodes {
		return Chunk{}, malformed(k, "proof nodes", HeaderLen+8, "%d nodes, at most %d", nodes, MaxProofNodes)
	}
	if p := nodes * vstream.ParentLen; p > len(rest) {
		return Chunk{}, malformed(k, "proof nodes", HeaderLen+8, "%d nodes (%d bytes), only %d left", nodes, p, len(rest))
	}
	p := nodes * vstream.ParentLen
	if len(rest)-p > vstream.MaxChunkSize {
		return Chunk{}, malformed(k, "data", HeaderLen+chunkFixed+p, "%d bytes, limit %d", len(rest)-p, vstream.MaxChunkSize)
	}
	if p > 0 {
		c.Proof = rest[:p:p]
	}
	if len(rest) > p {
		c.Data = rest[p:len(rest):len(rest)]
	}
	return c, nil
}

// Credit acknowledges a stream's chunks and grants more: a PUT_CREDIT from
// the server, or a REPLY_CREDIT from a client.
type Credit struct {
	Kind Kind // KindPutCredit or KindReplyCredit
	ID   uint64
	// Next is the index of the next chunk the receiver wants: every chunk
	// below it is verified and kept (for a put, written where a resume
	// finds it).
	Next uint64
	// Window is how many chunks from Next the sender may send before the
	// next CREDIT: chunks with index < Next+Window. At most MaxWindow; 0
	// pauses the sender.
	Window uint32
}

// creditLen is the size of a CREDIT.
const creditLen = HeaderLen + 8 + 4

// AppendBinary appends c's encoding to dst; on error dst is unchanged.
func (c *Credit) AppendBinary(dst []byte) ([]byte, error) {
	if c.Kind != KindPutCredit && c.Kind != KindReplyCredit {
		return dst, &FormatError{Err: ErrMalformed, Kind: c.Kind, Field: "kind", Offset: -1, Detail: c.Kind.String() + " is not a CREDIT"}
	}
	if c.Window > MaxWindow {
		return dst, &FormatError{Err: ErrMalformed, Kind: c.Kind, Field: "window", Offset: -1,
			Detail: fmt.Sprintf("%d chunks, at most %d", c.Window, MaxWindow)}
	}
	dst = append(dst, Version, byte(c.Kind), 0)
	dst = binary.BigEndian.AppendUint64(dst, c.ID)
	dst = binary.BigEndian.AppendUint64(dst, c.Next)
	return binary.BigEndian.AppendUint32(dst, c.Window), nil
}

// DecodeCredit parses a PUT_CREDIT or REPLY_CREDIT.
func DecodeCredit(b []byte) (Credit, error) {
	k, _, id, err := streamHeader(b, 0, KindPutCredit, KindReplyCredit)
	if err != nil {
		return Credit{}, err
	}
	if len(b) != creditLen {
		return Credit{}, malformed(k, "next", HeaderLen, "%d bytes, a CREDIT is %d", len(b), creditLen)
	}
	c := Credit{Kind: k, ID: id, Next: binary.BigEndian.Uint64(b[11:19]), Window: binary.BigEndian.Uint32(b[19:23])}
	if c.Window > MaxWindow {
		return Credit{}, malformed(k, "window", 19, "%d chunks, at most %d", c.Window, MaxWindow)
	}
	return c, nil
}
