package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/internal/vstream"
)

// Stream examples of docs/storage-protocol.md §12.
var (
	exampleRoot    = vstream.Sum([]byte("hello"))
	streamExamples = []struct {
		name string
		msg  interface{ AppendBinary([]byte) ([]byte, error) }
	}{
		{"stream-put-begin", &Begin{Kind: KindPutBegin, ID: 7, Upload: UploadID{0: 0xaa, 15: 0x01},
			Key: "big", Encoding: "", Size: 3 << 20, ChunkSize: 1 << 20, Root: exampleRoot}},
		{"stream-put-chunk", &Chunk{Kind: KindPutChunk, ID: 7, Index: 2, Proof: bytes.Repeat([]byte{0x11}, 64), Data: []byte("abc")}},
		{"stream-put-credit", &Credit{Kind: KindPutCredit, ID: 7, Next: 3, Window: 4}},
		{"stream-reply-begin", &Begin{Kind: KindReplyBegin, ID: 8, Key: "big", Encoding: "text/plain",
			Timestamp: docTS, Size: 5, ChunkSize: 1 << 20, Root: exampleRoot}},
	}
)

func decodeAny(b []byte) (any, error) {
	switch Kind(b[1]) {
	case KindPutBegin, KindReplyBegin:
		m, err := DecodeBegin(b)
		return &m, err
	case KindPutChunk, KindReplyChunk:
		m, err := DecodeChunk(b)
		return &m, err
	}
	m, err := DecodeCredit(b)
	return &m, err
}

func TestDocStreamExamples(t *testing.T) {
	page := readDocExamples(t)
	n := 0
	for name := range page {
		if strings.HasPrefix(name, "stream-") {
			n++
		}
	}
	if n != len(streamExamples) {
		t.Errorf("page has %d stream examples, the test %d", n, len(streamExamples))
	}
	for _, e := range streamExamples {
		want, ok := page[e.name]
		if !ok {
			t.Errorf("%s is not on the page", e.name)
			continue
		}
		got, err := e.msg.AppendBinary(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: encodes to\n% x (%v)\nthe page says\n% x", e.name, got, err, want)
			continue
		}
		dec, err := decodeAny(want)
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		again, _ := dec.(interface{ AppendBinary([]byte) ([]byte, error) }).AppendBinary(nil)
		if !bytes.Equal(again, want) {
			t.Errorf("%s: decodes to %+v, which encodes to % x", e.name, dec, again)
		}
	}
}

func TestStreamRoundTrip(t *testing.T) {
	msgs := []interface{ AppendBinary([]byte) ([]byte, error) }{
		&Begin{Kind: KindPutBegin, ID: 1, Resume: true, Upload: UploadID{1, 2, 3}, Key: "a/b", Encoding: "x",
			Timestamp: docTS, Size: 0, ChunkSize: vstream.MinChunkSize},
		&Begin{Kind: KindPutBegin, ID: 1 << 60, Size: MaxStreamSize, ChunkSize: vstream.MaxChunkSize},
		&Begin{Kind: KindReplyBegin, ID: 2, Key: "k", Timestamp: docTS, Size: 1, ChunkSize: 1 << 20},
		&Chunk{Kind: KindReplyChunk, ID: 3, Index: 1<<63 + 1},
		&Chunk{Kind: KindPutChunk, ID: 3, Proof: make([]byte, MaxProofNodes*64), Data: make([]byte, vstream.MaxChunkSize)},
		&Credit{Kind: KindReplyCredit, ID: 4, Next: 9, Window: MaxWindow},
		&Credit{Kind: KindPutCredit, ID: 4},
	}
	for _, m := range msgs {
		b, err := m.AppendBinary([]byte("prefix"))
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatal("AppendBinary lost dst")
		}
		b = b[len("prefix"):]
		if !IsStream(Kind(b[1])) {
			t.Fatalf("IsStream(%v) = false", Kind(b[1]))
		}
		dec, err := decodeAny(b)
		if err != nil {
			t.Fatalf("%+v: decode: %v", m, err)
		}
		again, _ := dec.(interface{ AppendBinary([]byte) ([]byte, error) }).AppendBinary(nil)
		if !bytes.Equal(again, b) {
			t.Fatalf("%+v decodes to %+v", m, dec)
		}
		if _, err := Decode(b); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "streamed-value message") {
			t.Fatalf("Decode of a stream message: %v", err)
		}
	}
	if len, want := (&Begin{Key: "ab", Encoding: "c", Timestamp: docTS}).EncodedLen(), HeaderLen+beginFixed+3+28; len != want {
		t.Errorf("Begin.EncodedLen = %d, want %d", len, want)
	}
}

func TestStreamEncodeRefuses(t *testing.T) {
	cases := []struct {
		name string
		msg  interface{ AppendBinary([]byte) ([]byte, error) }
		want error
	}{
		{"begin kind", &Begin{Kind: KindPut, ChunkSize: 1 << 20}, ErrMalformed},
		{"chunk size not a power of two", &Begin{Kind: KindPutBegin, ChunkSize: 3 << 10}, ErrMalformed},
		{"chunk size zero", &Begin{Kind: KindPutBegin}, ErrMalformed},
		{"size too large", &Begin{Kind: KindPutBegin, ChunkSize: 1 << 20, Size: MaxStreamSize + 1}, ErrMalformed},
		{"reply without timestamp", &Begin{Kind: KindReplyBegin, ChunkSize: 1 << 20}, ErrMalformed},
		{"reply with upload id", &Begin{Kind: KindReplyBegin, ChunkSize: 1 << 20, Timestamp: docTS, Upload: UploadID{1}}, ErrMalformed},
		{"reply resumed", &Begin{Kind: KindReplyBegin, ChunkSize: 1 << 20, Timestamp: docTS, Resume: true}, ErrMalformed},
		{"long key", &Begin{Kind: KindPutBegin, ChunkSize: 1 << 20, Key: strings.Repeat("k", MaxStringLen+1)}, ErrTooLarge},
		{"chunk kind", &Chunk{Kind: KindPutCredit}, ErrMalformed},
		{"partial proof node", &Chunk{Kind: KindPutChunk, Proof: make([]byte, 63)}, ErrMalformed},
		{"too many proof nodes", &Chunk{Kind: KindPutChunk, Proof: make([]byte, 64*64)}, ErrMalformed},
		{"chunk too large", &Chunk{Kind: KindPutChunk, Data: make([]byte, vstream.MaxChunkSize+1)}, ErrTooLarge},
		{"credit kind", &Credit{Kind: KindPut}, ErrMalformed},
		{"window too large", &Credit{Kind: KindPutCredit, Window: MaxWindow + 1}, ErrMalformed},
	}
	for _, c := range cases {
		b, err := c.msg.AppendBinary([]byte{9})
		if !errors.Is(err, c.want) || !bytes.Equal(b, []byte{9}) {
			t.Errorf("%s: %v (dst % x), want %v and dst unchanged", c.name, err, b, c.want)
		}
	}
	if _, err := (&Message{Kind: KindPut, Key: "k", Stream: true}).AppendBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("PUT with the stream flag: %v", err)
	}
}

func TestStreamDecodeRefuses(t *testing.T) {
	good := func(m interface{ AppendBinary([]byte) ([]byte, error) }) []byte {
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	begin := good(&Begin{Kind: KindPutBegin, ID: 1, Key: "k", Size: 10, ChunkSize: 1 << 20})
	chunk := good(&Chunk{Kind: KindPutChunk, ID: 1, Proof: make([]byte, 64), Data: []byte("d")})
	credit := good(&Credit{Kind: KindPutCredit, ID: 1, Next: 1, Window: 2})
	with := func(b []byte, off int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[off:], v)
		return b
	}
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cases := []struct {
		name  string
		in    []byte
		want  error
		field string
	}{
		{"empty", nil, ErrMalformed, "version"},
		{"version", with(begin, 0, 2), ErrVersion, "version"},
		{"short header", begin[:10], ErrMalformed, "header"},
		{"begin: wrong kind", with(begin, 1, byte(KindPut)), ErrMalformed, "kind"},
		{"begin: reserved flag", with(begin, 2, 0x02), ErrMalformed, "flags"},
		{"begin: short", begin[:HeaderLen+20], ErrMalformed, "key length"},
		{"begin: key past the end", with(begin, HeaderLen, 0xff, 0xff), ErrMalformed, "key length"},
		{"begin: trailing", append(bytes.Clone(begin), 0), ErrMalformed, "end"},
		{"begin: chunk size", with(begin, HeaderLen+28, u32(1000)...), ErrMalformed, "chunk size"},
		{"begin: size", with(begin, HeaderLen+20, 0x80), ErrMalformed, "chunk size"},
		{"begin: timestamp flag, none", with(begin, 2, 0x01), ErrMalformed, "timestamp"},
		{"reply begin: no timestamp", with(begin, 1, byte(KindReplyBegin)), ErrMalformed, "timestamp"},
		{"chunk: short", chunk[:HeaderLen+9], ErrMalformed, "index"},
		{"chunk: flags", with(chunk, 2, 1), ErrMalformed, "flags"},
		{"chunk: proof past the end", with(chunk, HeaderLen+8, 0, 2), ErrMalformed, "proof nodes"},
		{"chunk: too many nodes", with(chunk, HeaderLen+8, 0, 64), ErrMalformed, "proof nodes"},
		{"credit: short", credit[:HeaderLen+11], ErrMalformed, "next"},
		{"credit: long", append(bytes.Clone(credit), 0), ErrMalformed, "next"},
		{"credit: window", with(credit, HeaderLen+8, u32(MaxWindow+1)...), ErrMalformed, "window"},
	}
	for _, c := range cases {
		var err error
		switch {
		case strings.HasPrefix(c.name, "chunk"):
			_, err = DecodeChunk(c.in)
		case strings.HasPrefix(c.name, "credit"):
			_, err = DecodeCredit(c.in)
		default:
			_, err = DecodeBegin(c.in)
		}
		var fe *FormatError
		if !errors.Is(err, c.want) || !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want %v in field %q", c.name, err, c.want, c.field)
			continue
		}
		if fe.Offset < 0 || fe.Offset > len(c.in) {
			t.Errorf("%s: offset %d outside the %d-byte message", c.name, fe.Offset, len(c.in))
		}
	}
	// The largest chunk decodes; one byte more does not.
	big := good(&Chunk{Kind: KindReplyChunk, Data: make([]byte, vstream.MaxChunkSize)})
	if _, err := DecodeChunk(big); err != nil {
		t.Errorf("largest chunk: %v", err)
	}
	if _, err := DecodeChunk(append(big, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("chunk over the limit: %v", err)
	}
}

func TestStatusOfStreamErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want Status
	}{
		{ErrUnknownUpload, StatusUnknownUpload},
		{vstream.ErrCorrupt, StatusIntegrity},
		{vstream.ErrSize, StatusIntegrity},
		{vstream.ErrProof, StatusIntegrity},
		{ErrStreamOrder, StatusStream},
		{vstream.ErrExtraChunk, StatusStream},
		{vstream.ErrTruncated, StatusStream},
	} {
		if got := StatusOf(c.err); got != c.want {
			t.Errorf("StatusOf(%v) = %v, want %v", c.err, got, c.want)
		}
		f := NewFinal(1, 0, c.err)
		if !errors.Is(f.Err(), c.want) {
			t.Errorf("FINAL for %v does not match %v", c.err, c.want)
		}
	}
}

// FuzzDecodeStream checks that the stream decoders never panic, fail only
// with *FormatError, and that what they accept encodes back to the input.
func FuzzDecodeStream(f *testing.F) {
	for _, e := range streamExamples {
		b, _ := e.msg.AppendBinary(nil)
		f.Add(b)
	}
	f.Add([]byte{1, byte(KindPutChunk), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})
	f.Add([]byte{1, byte(KindReplyCredit), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 65})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dec := range []func([]byte) (any, error){
			func(b []byte) (any, error) { m, err := DecodeBegin(b); return &m, err },
			func(b []byte) (any, error) { m, err := DecodeChunk(b); return &m, err },
			func(b []byte) (any, error) { m, err := DecodeCredit(b); return &m, err },
		} {
			m, err := dec(b)
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > len(b) {
					t.Fatalf("% x: error %v", b, err)
				}
				continue
			}
			out, err := m.(interface{ AppendBinary([]byte) ([]byte, error) }).AppendBinary(nil)
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("% x decodes to %+v, which encodes to % x (%v)", b, m, out, err)
			}
		}
	})
}
