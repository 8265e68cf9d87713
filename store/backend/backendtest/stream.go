package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
)

// StreamBig is the size of the largest value the streaming cases store:
// over two parts of the S3 backend's multipart uploads, so a backend that
// cuts values into parts or blobs stores several.
const StreamBig = 17<<20 + 5

// runStream runs the streaming cases on stores that implement
// backend.Streamer (one fresh store per case); Run calls it. For a store
// without the optional interface there is nothing to check but that the
// interface is absent, which the test logs.
func runStream(t *testing.T, open Opener) {
	probe := open(t)
	CloseOnCleanup(t, probe)
	if _, ok := probe.(backend.Streamer); !ok {
		t.Logf("%T does not implement backend.Streamer: no streaming cases", probe)
		return
	}
	tests := []struct {
		name string
		fn   func(*testing.T, backend.Store, backend.Streamer)
	}{
		{"RoundTrip", testStreamRoundTrip},
		{"Offsets", testStreamOffsets},
		{"LastWriterWins", testStreamLastWriterWins},
		{"BadReaderLeavesNothing", testStreamBadReader},
		{"ReaderIsASnapshot", testStreamSnapshot},
		{"InvalidInput", testStreamInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			CloseOnCleanup(t, s)
			tt.fn(t, s, s.(backend.Streamer))
		})
	}
}

// streamValue returns n bytes that differ from one position to the next
// and from one seed to another.
func streamValue(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i>>12) ^ seed
	}
	return b
}

func streamEntry(key string, value []byte, d time.Duration) backend.StreamEntry {
	return backend.StreamEntry{
		Entry: backend.Entry{Key: key, Encoding: "application/octet-stream", Timestamp: at(d)},
		Size:  int64(len(value)),
		Hash:  [32]byte{0: byte(len(value)), 1: value0(value), 31: 0x5a},
	}
}

func value0(v []byte) byte {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// MustPutStream stores e from value through PutStream and fails the test
// unless applied is want.
func MustPutStream(t testing.TB, st backend.Streamer, e backend.StreamEntry, value []byte, want bool) {
	t.Helper()
	applied, err := st.PutStream(context.Background(), e, bytes.NewReader(value))
	if err != nil || applied != want {
		t.Fatalf("PutStream(%q, %d bytes) = %v, %v; want %v", e.Key, len(value), applied, err, want)
	}
}

// MustReadStream reads key from off through OpenStream and fails the test
// unless it holds want (from off on) with e's metadata.
func MustReadStream(t testing.TB, st backend.Streamer, e backend.StreamEntry, off int64, want []byte) {
	t.Helper()
	got, rc, ok, err := st.OpenStream(context.Background(), e.Key, off)
	if err != nil || !ok {
		t.Fatalf("OpenStream(%q, %d) = %v, %v", e.Key, off, ok, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("OpenStream(%q, %d): read: %v", e.Key, off, err)
	}
	if !bytes.Equal(b, want[off:]) {
		t.Fatalf("OpenStream(%q, %d) read %d bytes, not the %d stored from there", e.Key, off, len(b), len(want)-int(off))
	}
	if got.Key != e.Key || got.Encoding != e.Encoding || got.Timestamp != e.Timestamp || got.Deleted ||
		got.Size != e.Size || got.Hash != e.Hash || got.Value != nil {
		t.Fatalf("OpenStream(%q) entry %+v, want %+v", e.Key, got.Entry, e)
	}
}

func testStreamRoundTrip(t *testing.T, s backend.Store, st backend.Streamer) {
	for i, n := range []int{0, 1, 1000, 5<<20 + 1, StreamBig} {
		key := fmt.Sprintf("stream/%d", n)
		value := streamValue(n, byte(i))
		e := streamEntry(key, value, time.Duration(i)*time.Second)
		MustPutStream(t, st, e, value, true)
		MustReadStream(t, st, e, 0, value)
		MustGet(t, s, backend.Entry{Key: key, Value: value, Encoding: e.Encoding, Timestamp: e.Timestamp})
		if got := Scan(t, s, key, backend.ScanValues)[key]; !bytes.Equal(got.Value, value) {
			t.Fatalf("Scan(%q) value of %d bytes, want the %d stored", key, len(got.Value), n)
		}
	}
	// A value stored by Apply streams too, without a hash.
	MustApply(t, s, put("stream/applied", "plain", at(time.Hour)), true)
	MustReadStream(t, st, backend.StreamEntry{Entry: backend.Entry{Key: "stream/applied", Encoding: "text/plain",
		Timestamp: at(time.Hour)}, Size: 5}, 0, []byte("plain"))
	// A tombstone opens as one, without a reader.
	MustApply(t, s, del("stream/0", at(time.Hour)), true)
	e, rc, ok, err := st.OpenStream(context.Background(), "stream/0", 0)
	if err != nil || !ok || !e.Deleted || rc != nil || e.Timestamp != at(time.Hour) {
		t.Fatalf("OpenStream of a tombstone = %+v, %v, %v, %v", e, rc, ok, err)
	}
	if _, rc, ok, err := st.OpenStream(context.Background(), "stream/absent", 0); err != nil || ok || rc != nil {
		t.Fatalf("OpenStream of an absent key = %v, %v, %v", rc, ok, err)
	}
}

func testStreamOffsets(t *testing.T, s backend.Store, st backend.Streamer) {
	value := streamValue(3<<20+7, 3)
	e := streamEntry("stream/offsets", value, 0)
	MustPutStream(t, st, e, value, true)
	for _, off := range []int64{0, 1, 1 << 20, int64(len(value)) - 1, int64(len(value))} {
		MustReadStream(t, st, e, off, value)
	}
	for _, off := range []int64{-1, int64(len(value)) + 1} {
		if _, rc, _, err := st.OpenStream(context.Background(), e.Key, off); !errors.Is(err, backend.ErrInvalidInput) {
			if rc != nil {
				rc.Close()
			}
			t.Fatalf("OpenStream at offset %d of %d bytes: %v, want ErrInvalidInput", off, len(value), err)
		}
	}
}

// unreadable fails the test if PutStream reads it.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("PutStream read the value of a write that loses")
	return 0, io.ErrUnexpectedEOF
}

func testStreamLastWriterWins(t *testing.T, s backend.Store, st backend.Streamer) {
	v1, v2 := streamValue(6<<20, 1), streamValue(1000, 2)
	e1 := streamEntry("stream/lww", v1, 10*time.Second)
	MustPutStream(t, st, e1, v1, true)
	for _, d := range []time.Duration{5 * time.Second, 10 * time.Second} { // older, equal
		old := streamEntry("stream/lww", v2, d)
		if applied, err := st.PutStream(context.Background(), old, unreadable{t}); err != nil || applied {
			t.Fatalf("PutStream older or equal = %v, %v; want not applied", applied, err)
		}
	}
	MustReadStream(t, st, e1, 0, v1)
	e2 := streamEntry("stream/lww", v2, 20*time.Second)
	MustPutStream(t, st, e2, v2, true)
	MustReadStream(t, st, e2, 0, v2)
	// Apply over a streamed value replaces it, and its hash.
	MustApply(t, s, put("stream/lww", "small", at(30*time.Second)), true)
	MustReadStream(t, st, backend.StreamEntry{Entry: backend.Entry{Key: "stream/lww", Encoding: "text/plain",
		Timestamp: at(30 * time.Second)}, Size: 5}, 0, []byte("small"))
	// A tombstone blocks older streamed puts.
	MustApply(t, s, del("stream/lww", at(40*time.Second)), true)
	if applied, err := st.PutStream(context.Background(), streamEntry("stream/lww", v2, 35*time.Second), unreadable{t}); err != nil || applied {
		t.Fatalf("PutStream under a tombstone = %v, %v", applied, err)
	}
}

// failingReader gives n bytes of value, then fails with errBroken.
type failingReader struct {
	r *bytes.Reader
	n int
}

var errBroken = errors.New("backendtest: connection broken")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errBroken
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func testStreamBadReader(t *testing.T, s backend.Store, st backend.Streamer) {
	old := []byte("the old value")
	MustApply(t, s, backend.Entry{Key: "stream/bad", Value: old, Timestamp: at(0)}, true)
	value := streamValue(StreamBig, 9)
	e := streamEntry("stream/bad", value, time.Second)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		r    io.Reader
		want error
	}{
		{"short", context.Background(), bytes.NewReader(value[:len(value)-1]), backend.ErrStreamSize},
		{"long", context.Background(), bytes.NewReader(append(bytes.Clone(value), 'x')), backend.ErrStreamSize},
		{"empty", context.Background(), bytes.NewReader(nil), backend.ErrStreamSize},
		{"broken after 9 MiB", context.Background(), &failingReader{bytes.NewReader(value), 9 << 20}, errBroken},
		{"broken at once", context.Background(), &failingReader{bytes.NewReader(value), 0}, errBroken},
		{"cancelled", cancelled, bytes.NewReader(value), context.Canceled},
	}
	for _, c := range cases {
		applied, err := st.PutStream(c.ctx, e, c.r)
		if applied || !errors.Is(err, c.want) {
			t.Fatalf("%s: PutStream = %v, %v; want %v", c.name, applied, err, c.want)
		}
		MustGet(t, s, backend.Entry{Key: "stream/bad", Value: old, Timestamp: at(0)})
	}
	// A failed put leaves nothing behind that a later one trips on.
	MustPutStream(t, st, e, value, true)
	MustReadStream(t, st, e, 0, value)
}

func testStreamSnapshot(t *testing.T, s backend.Store, st backend.Streamer) {
	v1, v2 := streamValue(6<<20, 1), streamValue(6<<20, 2)
	e1 := streamEntry("stream/snap", v1, time.Second)
	MustPutStream(t, st, e1, v1, true)
	_, rc, ok, err := st.OpenStream(context.Background(), e1.Key, 0)
	if err != nil || !ok {
		t.Fatalf("OpenStream = %v, %v", ok, err)
	}
	defer rc.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(rc, head); err != nil {
		t.Fatal(err)
	}
	MustPutStream(t, st, streamEntry("stream/snap", v2, 2*time.Second), v2, true)
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Logf("reading on after an overwrite: %v (allowed: never a mix)", err)
		return
	}
	if got := append(head, rest...); !bytes.Equal(got, v1) {
		t.Fatalf("a reader opened before an overwrite read %d bytes that are not the old value", len(got))
	}
}

func testStreamInvalid(t *testing.T, s backend.Store, st backend.Streamer) {
	ctx := context.Background()
	good := streamEntry("stream/invalid", []byte("v"), 0)
	cases := []struct {
		name string
		e    func(e backend.StreamEntry) backend.StreamEntry
		want error
	}{
		{"tombstone", func(e backend.StreamEntry) backend.StreamEntry { e.Deleted = true; return e }, backend.ErrInvalidEntry},
		{"value set", func(e backend.StreamEntry) backend.StreamEntry { e.Value = []byte("v"); return e }, backend.ErrInvalidEntry},
		{"negative size", func(e backend.StreamEntry) backend.StreamEntry { e.Size = -1; return e }, backend.ErrInvalidEntry},
		{"zero timestamp", func(e backend.StreamEntry) backend.StreamEntry {
			e.Timestamp = at(0)
			e.Timestamp.Time = 0
			e.Timestamp.Source = [16]byte{}
			return e
		}, backend.ErrInvalidEntry},
		{"invalid key", func(e backend.StreamEntry) backend.StreamEntry { e.Key = "\xff"; return e }, backend.ErrInvalidKey},
	}
	for _, c := range cases {
		if applied, err := st.PutStream(ctx, c.e(good), bytes.NewReader([]byte("v"))); applied || !errors.Is(err, c.want) {
			t.Errorf("%s: PutStream = %v, %v; want %v", c.name, applied, err, c.want)
		}
	}
	if _, err := st.PutStream(nil, good, bytes.NewReader([]byte("v"))); !errors.Is(err, backend.ErrInvalidInput) { //nolint:staticcheck // a nil ctx on purpose
		t.Errorf("PutStream(nil ctx): %v", err)
	}
	if _, _, _, err := st.OpenStream(nil, good.Key, 0); !errors.Is(err, backend.ErrInvalidInput) { //nolint:staticcheck // a nil ctx on purpose
		t.Errorf("OpenStream(nil ctx): %v", err)
	}
	if _, _, _, err := st.OpenStream(ctx, "\xff", 0); !errors.Is(err, backend.ErrInvalidKey) {
		t.Errorf("OpenStream(invalid key): %v", err)
	}
	mustMiss(t, s, good.Key)
}
