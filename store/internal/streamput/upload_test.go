package streamput

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/streamio"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

const cs = vstream.MinChunkSize

func value(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*5 + i>>10)
	}
	return b
}

type fixture struct {
	st    *memory.Store
	v     []byte
	begin proto.Begin
	tree  *vstream.Tree
	entry backend.StreamEntry
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := &fixture{st: memory.New(), v: value(n)}
	t.Cleanup(func() { f.st.Close(context.Background()) })
	l, _ := vstream.NewLayout(int64(n), cs)
	h := vstream.NewHasher(l)
	if _, err := h.Write(f.v); err != nil {
		t.Fatal(err)
	}
	f.tree, _ = h.Sum()
	f.begin = proto.Begin{Kind: proto.KindPutBegin, ID: 1, Upload: proto.UploadID{7}, Key: "big",
		Size: uint64(n), ChunkSize: cs, Root: f.tree.Root()}
	f.entry = backend.StreamEntry{Entry: backend.Entry{Key: "big", Timestamp: hlc.Timestamp{Time: 10}}}
	return f
}

// send feeds u the chunks a sender makes after credit, up to stop chunks
// (-1: all), granting the credits u returns.
func (f *fixture) send(t *testing.T, u *Upload, id uint64, credit proto.Credit, stop int) error {
	t.Helper()
	s := streamio.NewSender(proto.KindPutChunk, id, f.tree, bytes.NewReader(f.v))
	if err := s.Grant(credit); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, cs)
	for sent := 0; sent != stop; sent++ {
		c, ok, err := s.Next(buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if s.Done() {
				return nil
			}
			t.Fatal("window closed with every credit granted")
		}
		credit, err := u.Accept(c)
		if err != nil {
			return err
		}
		if err := s.Grant(credit); err != nil {
			t.Fatal(err)
		}
	}
	return nil
}

func (f *fixture) stored(t *testing.T) []byte {
	t.Helper()
	e, rc, ok, err := f.st.OpenStream(context.Background(), "big", 0)
	if err != nil || !ok {
		return nil
	}
	defer rc.Close()
	if e.Hash != f.begin.Root {
		t.Fatalf("stored hash %x, want the root", e.Hash)
	}
	b, _ := io.ReadAll(rc)
	return b
}

func TestUploadResumedOnANewConnection(t *testing.T) {
	f := newFixture(t, 30*cs+11)
	u, credit, err := Start(context.Background(), f.st, f.entry, f.begin, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.send(t, u, 1, credit, 12); err != nil {
		t.Fatal(err)
	}
	// The connection drops; nothing is visible yet.
	if got := f.stored(t); got != nil {
		t.Fatal("a partial upload is visible")
	}
	// A new connection resumes it: same fields, new request id.
	b := f.begin
	b.ID, b.Resume = 2, true
	credit, err = u.Resume(b)
	if err != nil || credit.Next != 12 || credit.ID != 2 {
		t.Fatalf("Resume = %+v, %v", credit, err)
	}
	other := b
	other.Size++
	if _, err := u.Resume(other); !errors.Is(err, proto.ErrUnknownUpload) {
		t.Fatalf("Resume with other fields: %v", err)
	}
	if err := f.send(t, u, 2, credit, -1); err != nil {
		t.Fatal(err)
	}
	if applied, err := u.Finish(); err != nil || !applied {
		t.Fatalf("Finish = %v, %v", applied, err)
	}
	if !bytes.Equal(f.stored(t), f.v) {
		t.Fatal("stored value differs")
	}
}

func TestUploadRefusedStoresNothing(t *testing.T) {
	f := newFixture(t, 10*cs)
	u, credit, _ := Start(context.Background(), f.st, f.entry, f.begin, 4)
	s := streamio.NewSender(proto.KindPutChunk, 1, f.tree, bytes.NewReader(f.v))
	_ = s.Grant(credit)
	buf := make([]byte, cs)
	c, _, _ := s.Next(buf, nil)
	c.Data[0] ^= 1
	if _, err := u.Accept(c); !errors.Is(err, vstream.ErrCorrupt) || proto.StatusOf(err) != proto.StatusIntegrity {
		t.Fatalf("corrupted chunk: %v", err)
	}
	if applied, err := u.Finish(); applied || err == nil {
		t.Fatalf("Finish after a refusal = %v, %v", applied, err)
	}
	if f.stored(t) != nil {
		t.Fatal("a refused upload stored something")
	}
}

func TestUploadFinishedEarlyOrAbandoned(t *testing.T) {
	f := newFixture(t, 10*cs)
	u, credit, _ := Start(context.Background(), f.st, f.entry, f.begin, 4)
	if err := f.send(t, u, 1, credit, 3); err != nil {
		t.Fatal(err)
	}
	if applied, err := u.Finish(); applied || !errors.Is(err, vstream.ErrTruncated) {
		t.Fatalf("Finish after 3 of 10 chunks = %v, %v", applied, err)
	}
	u2, _, _ := Start(context.Background(), f.st, f.entry, f.begin, 4)
	u2.Abort(nil)
	u2.Abort(nil)
	if f.stored(t) != nil {
		t.Fatal("an abandoned upload stored something")
	}
}

func TestUploadSuperseded(t *testing.T) {
	f := newFixture(t, 10*cs)
	newer := backend.Entry{Key: "big", Value: []byte("newer"), Timestamp: hlc.Timestamp{Time: 20}}
	if _, err := f.st.Apply(context.Background(), newer); err != nil {
		t.Fatal(err)
	}
	u, credit, _ := Start(context.Background(), f.st, f.entry, f.begin, 4)
	err := f.send(t, u, 1, credit, -1)
	if err != nil && !errors.Is(err, ErrSuperseded) {
		t.Fatalf("sending to a superseded put: %v", err)
	}
	if err == nil {
		if applied, err := u.Finish(); applied || err != nil {
			t.Fatalf("Finish = %v, %v; want not applied", applied, err)
		}
	}
	if got, _, _ := f.st.Get(context.Background(), "big"); string(got.Value) != "newer" {
		t.Fatalf("the key holds %q", got.Value)
	}
}
