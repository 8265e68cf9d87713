package streamio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

const cs = vstream.MinChunkSize

func value(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*17 + i>>10)
	}
	return b
}

// begin hashes v (the sender's first pass) and returns its PUT_BEGIN and tree.
func begin(t *testing.T, v []byte) (proto.Begin, *vstream.Tree) {
	t.Helper()
	l, err := vstream.NewLayout(int64(len(v)), cs)
	if err != nil {
		t.Fatal(err)
	}
	h := vstream.NewHasher(l)
	if _, err := h.ReadFrom(bytes.NewReader(v)); err != nil {
		t.Fatal(err)
	}
	tr, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	b := proto.Begin{Kind: proto.KindPutBegin, ID: 9, Key: "k", Size: uint64(len(v)), ChunkSize: cs, Root: tr.Root()}
	return b, tr
}

// wire encodes and decodes a message, as the sockets would carry it.
func wireChunk(t *testing.T, c proto.Chunk) proto.Chunk {
	t.Helper()
	b, err := c.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := proto.DecodeChunk(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wireCredit(t *testing.T, c proto.Credit) proto.Credit {
	t.Helper()
	b, err := c.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := proto.DecodeCredit(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run drives a sender and a receiver until the value is through, the
// receiver refuses a chunk, or stop chunks have been accepted; tamper may
// change each chunk on the way. It checks that no more than window chunks
// are ever in flight, and returns the bytes accepted (also written to
// sink, if not nil, as each chunk is accepted).
func run(t *testing.T, s *Sender, r *Receiver, first proto.Credit, window int, stop int,
	tamper func(c *proto.Chunk), sink ...io.Writer) ([]byte, error) {
	t.Helper()
	var got []byte
	if err := s.Grant(wireCredit(t, first)); err != nil {
		t.Fatal(err)
	}
	buf, proof := make([]byte, cs), make([]byte, 0, 64*64)
	accepted := 0
	for !s.Done() || accepted > 0 && !r.Done() {
		var inflight []proto.Chunk
		for {
			c, ok, err := s.Next(buf, proof)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			c = wireChunk(t, c) // a copy: buf is reused
			if tamper != nil {
				tamper(&c)
			}
			inflight = append(inflight, c)
			if len(inflight) > window {
				t.Fatalf("%d chunks in flight, window %d", len(inflight), window)
			}
		}
		if len(inflight) == 0 {
			break
		}
		for _, c := range inflight {
			data, credit, err := r.Accept(c)
			if err != nil {
				return got, err
			}
			got = append(got, data...)
			for _, w := range sink {
				if _, err := w.Write(data); err != nil {
					return got, err
				}
			}
			accepted++
			if accepted == stop {
				return got, nil
			}
			if err := s.Grant(wireCredit(t, credit)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return got, r.Finish()
}

func TestTransfer(t *testing.T) {
	for _, n := range []int{0, 1, cs - 1, cs, cs + 1, 37*cs + 5} {
		for _, window := range []uint32{1, 4} {
			t.Run(fmt.Sprintf("%d/window%d", n, window), func(t *testing.T) {
				v := value(n)
				b, tr := begin(t, v)
				r, first, err := NewReceiver(b, 0, proto.KindPutCredit, window)
				if err != nil {
					t.Fatal(err)
				}
				s := NewSender(proto.KindPutChunk, b.ID, tr, bytes.NewReader(v))
				got, err := run(t, s, r, first, int(window), -1, nil)
				if err != nil || !bytes.Equal(got, v) {
					t.Fatalf("got %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

func TestResume(t *testing.T) {
	v := value(20*cs + 7)
	b, tr := begin(t, v)
	r, first, _ := NewReceiver(b, 0, proto.KindPutCredit, 3)
	part, err := run(t, NewSender(proto.KindPutChunk, b.ID, tr, bytes.NewReader(v)), r, first, 3, 7, nil)
	if err != nil || len(part) != 7*cs {
		t.Fatalf("first connection: %d bytes, %v", len(part), err)
	}
	// The connection drops; a new one resumes where the receiver is.
	r2, first2, err := NewReceiver(b, r.Next(), proto.KindPutCredit, 3)
	if err != nil || first2.Next != 7 {
		t.Fatalf("resume: %+v, %v", first2, err)
	}
	rest, err := run(t, NewSender(proto.KindPutChunk, b.ID, tr, bytes.NewReader(v)), r2, first2, 3, -1, nil)
	if err != nil || !bytes.Equal(append(part, rest...), v) {
		t.Fatalf("resumed: %d+%d bytes, %v", len(part), len(rest), err)
	}
}

func TestRefusals(t *testing.T) {
	v := value(9*cs + 3)
	cases := []struct {
		name   string
		begin  func(b proto.Begin) proto.Begin
		tamper func(c *proto.Chunk)
		want   error
		status proto.Status
	}{
		{"corrupted chunk", nil, func(c *proto.Chunk) {
			if c.Index == 4 {
				c.Data = append([]byte{c.Data[0] ^ 1}, c.Data[1:]...)
			}
		}, vstream.ErrCorrupt, proto.StatusIntegrity},
		{"out of order", nil, func(c *proto.Chunk) {
			if c.Index == 2 {
				c.Index = 3
			}
		}, proto.ErrStreamOrder, proto.StatusStream},
		{"declared size too large", func(b proto.Begin) proto.Begin { b.Size += cs; return b }, nil, nil, proto.StatusIntegrity},
		{"declared size too small", func(b proto.Begin) proto.Begin { b.Size--; return b }, nil, vstream.ErrSize, proto.StatusIntegrity},
		{"wrong request id", nil, func(c *proto.Chunk) { c.ID++ }, proto.ErrUnknownUpload, proto.StatusUnknownUpload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, tr := begin(t, v)
			rb := b
			if c.begin != nil {
				rb = c.begin(b)
			}
			r, first, err := NewReceiver(rb, 0, proto.KindPutCredit, 4)
			if err != nil {
				t.Fatal(err)
			}
			_, err = run(t, NewSender(proto.KindPutChunk, b.ID, tr, bytes.NewReader(v)), r, first, 4, -1, c.tamper)
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("%v, want %v", err, c.want)
			}
			if c.status != 0 && proto.StatusOf(err) != c.status {
				t.Fatalf("status %v for %v, want %v", proto.StatusOf(err), err, c.status)
			}
			if _, _, again := r.Accept(proto.Chunk{ID: b.ID, Index: uint64(r.Next())}); again == nil {
				t.Fatal("a chunk accepted after a refusal")
			}
		})
	}
}

// TestIntoBackend wires a receiver to a backend as the server will: the
// verified bytes go through a pipe to PutStream, running in a goroutine
// the test owns; the value appears once the last chunk is in.
func TestIntoBackend(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	defer st.Close(ctx)
	v := value(13*cs + 99)
	b, tr := begin(t, v)
	r, first, _ := NewReceiver(b, 0, proto.KindPutCredit, 4)
	pr, pw := io.Pipe()
	type result struct {
		applied bool
		err     error
	}
	done := make(chan result, 1)
	go func() { // ends when the pipe is closed
		e := backend.StreamEntry{Entry: backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 1}}, Size: int64(b.Size), Hash: b.Root}
		applied, err := st.PutStream(ctx, e, pr)
		pr.CloseWithError(err)
		done <- result{applied, err}
	}()
	s := NewSender(proto.KindPutChunk, b.ID, tr, bytes.NewReader(v))
	_, err := run(t, s, r, first, 4, -1, nil, pw)
	pw.CloseWithError(err)
	res := <-done
	if err != nil || res.err != nil || !res.applied {
		t.Fatalf("transfer %v, PutStream %v, %v", err, res.applied, res.err)
	}
	se, rc, ok, err := st.OpenStream(ctx, "k", 0)
	if err != nil || !ok || se.Hash != b.Root {
		t.Fatalf("OpenStream = %+v, %v, %v", se, ok, err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, v) {
		t.Fatal("stored value differs")
	}
}
