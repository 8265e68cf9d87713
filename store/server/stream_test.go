package server

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"

	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

// randomValue returns n pseudo-random bytes.
func randomValue(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestStreamedPutAndGet(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	for _, n := range []int{0, 5, 1 << 20, 1<<20 + 1, 5<<20 + 12345} {
		v := randomValue(n, uint64(n))
		must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(v), int64(n)))
		rc, info, ok, err := f.cli.GetReader(ctx, "big/v")
		must(t, err)
		if !ok {
			t.Fatalf("%d bytes: not found", n)
		}
		got, err := io.ReadAll(rc)
		must(t, err)
		rc.Close()
		if !bytes.Equal(got, v) {
			t.Fatalf("%d bytes: got %d bytes back, different", n, len(got))
		}
		if info.Size != int64(n) || info.Hash != [32]byte(vstream.Sum(v)) {
			t.Fatalf("%d bytes: info %+v", n, info)
		}
		// A plain get of a value over one chunk but within the message
		// limit still works.
		samples, err := f.cli.Get(ctx, "big/v")
		must(t, err)
		if len(samples) != 1 || !bytes.Equal(samples[0].Value, v) {
			t.Fatalf("%d bytes: plain get gave %d samples", n, len(samples))
		}
	}
	_, _, ok, err := f.cli.GetReader(ctx, "big/none")
	must(t, err)
	if ok {
		t.Fatal("a missing key was found")
	}
}

func TestStreamedPutOverLimits(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("s", "**", "")}, MaxStreamSize: 3 << 20}})
	ctx := testCtx(t)
	v := randomValue(4<<20, 1)
	err := f.cli.PutReader(ctx, "big/v", bytes.NewReader(v), int64(len(v)))
	wantStatus(t, err, proto.StatusTooLarge)
	if !bytes.Contains([]byte(err.Error()), []byte("3145728")) {
		t.Fatalf("the refusal does not name the limit: %v", err)
	}
	// A reader shorter than its declared size is caught before sending.
	err = f.cli.PutReader(ctx, "big/v", bytes.NewReader(v[:100]), 200)
	if err == nil {
		t.Fatal("a short reader was accepted")
	}
	f.wantKV("big/**")
}

// rawStream is a test's hand-made streamed put on a raw CLIENT socket.
type rawStream struct {
	t    *testing.T
	f    *fixture
	sock *patterns.Client
	tree *vstream.Tree
	val  []byte
	b    proto.Begin
}

const rawChunk = 1024

func newRawStream(t *testing.T, f *fixture, key string, val []byte, id uint64) *rawStream {
	t.Helper()
	l, err := vstream.NewLayout(int64(len(val)), rawChunk)
	must(t, err)
	h := vstream.NewHasher(l)
	_, err = h.Write(val)
	must(t, err)
	tree, err := h.Sum()
	must(t, err)
	r := &rawStream{t: t, f: f, tree: tree, val: val}
	r.b = proto.Begin{Kind: proto.KindPutBegin, ID: id, Key: key, Size: uint64(len(val)), ChunkSize: rawChunk, Root: tree.Root()}
	r.b.Upload[0], r.b.Upload[15] = byte(id), byte(id>>8)
	r.connect()
	return r
}

func (r *rawStream) connect() {
	sock, err := patterns.NewClient(r.f.zctx, socket.Options{})
	must(r.t, err)
	r.t.Cleanup(func() { sock.Close() })
	must(r.t, sock.Connect(r.f.ep))
	r.sock = sock
}

func (r *rawStream) send(b []byte) { must(r.t, r.sock.Send(testCtx(r.t), b)) }

func (r *rawStream) begin() {
	b, err := r.b.AppendBinary(nil)
	must(r.t, err)
	r.send(b)
}

// chunk sends chunk i (with its full path proof if full), data changed by
// bad if not nil.
func (r *rawStream) chunk(i int64, full bool, bad func([]byte) []byte) {
	l := r.tree.Layout()
	data := bytes.Clone(r.val[l.Offset(i) : l.Offset(i)+int64(l.ChunkLen(i))])
	if bad != nil {
		data = bad(data)
	}
	proof, err := r.tree.Proof(nil, i, full)
	must(r.t, err)
	c := proto.Chunk{Kind: proto.KindPutChunk, ID: r.b.ID, Index: uint64(i), Proof: proof, Data: data}
	b, err := c.AppendBinary(nil)
	must(r.t, err)
	r.send(b)
}

// recv returns the next message: a credit, or a FINAL.
func (r *rawStream) recv() (proto.Credit, *proto.Message) {
	r.t.Helper()
	m, err := r.sock.Recv(testCtx(r.t))
	must(r.t, err)
	if proto.Kind(m.Body[1]) == proto.KindPutCredit {
		c, err := proto.DecodeCredit(m.Body)
		must(r.t, err)
		return c, nil
	}
	msg, err := proto.Decode(m.Body)
	must(r.t, err)
	return proto.Credit{}, &msg
}

// final skips credits up to the FINAL, which must have status st.
func (r *rawStream) final(st proto.Status) *proto.Message {
	r.t.Helper()
	for {
		_, m := r.recv()
		if m == nil {
			continue
		}
		if m.Kind != proto.KindFinal || m.Status != st {
			r.t.Fatalf("got %v status %v (%s), want a FINAL %v", m.Kind, m.Status, m.Text, st)
		}
		return m
	}
}

func TestStreamedPutBadInput(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	val := randomValue(3*rawChunk+500, 7)
	cases := []struct {
		name string
		run  func(r *rawStream)
		st   proto.Status
	}{
		{"corrupted chunk", func(r *rawStream) {
			r.begin()
			r.recv()
			r.chunk(0, true, nil)
			r.chunk(1, false, func(b []byte) []byte { b[10] ^= 1; return b })
		}, proto.StatusIntegrity},
		{"out of order", func(r *rawStream) {
			r.begin()
			r.recv()
			r.chunk(1, true, nil)
		}, proto.StatusStream},
		{"beyond the last chunk", func(r *rawStream) {
			r.begin()
			r.recv()
			r.chunk(0, true, nil)
			c := proto.Chunk{Kind: proto.KindPutChunk, ID: r.b.ID, Index: 9, Data: []byte("x")}
			b, _ := c.AppendBinary(nil)
			r.send(b)
		}, proto.StatusStream},
		{"short last chunk", func(r *rawStream) {
			r.begin()
			r.recv()
			for i := range int64(3) {
				r.chunk(i, i == 0, nil)
			}
			r.chunk(3, false, func(b []byte) []byte { return b[:len(b)-1] })
		}, proto.StatusIntegrity},
		{"declared size wrong", func(r *rawStream) {
			r.b.Size-- // the root is of the whole value
			r.begin()
			r.recv()
			for i := range int64(4) {
				r.chunk(i, i == 0, func(b []byte) []byte { return b[:min(len(b), r.tree.Layout().ChunkLen(i))] })
			}
		}, proto.StatusIntegrity},
		{"chunk of no upload", func(r *rawStream) {
			r.chunk(0, true, nil)
		}, proto.StatusUnknownUpload},
		{"resume of no upload", func(r *rawStream) {
			r.b.Resume = true
			r.begin()
		}, proto.StatusUnknownUpload},
		{"oversized", func(r *rawStream) {
			r.b.Size = 1 << 40
			r.b.Root = [32]byte{}
			r.begin()
		}, proto.StatusTooLarge},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRawStream(t, f, "bad/v", val, uint64(100+i))
			c.run(r)
			r.final(c.st)
			// Nothing is visible, and the server serves on.
			f.wantKV("bad/**")
			must(t, f.cli.Put(ctx, "ok", []byte("v")))
		})
	}
}

// A put cut by a dropped connection resumes from its last verified
// chunk on a new connection; an upload left alone is collected.
func TestStreamedPutResumes(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("s", "**", "")}, UploadIdle: 300 * time.Millisecond}})
	val := randomValue(5*rawChunk+1, 9)
	r := newRawStream(t, f, "res/v", val, 1)
	r.begin()
	r.recv()
	r.chunk(0, true, nil)
	r.chunk(1, false, nil)
	for {
		c, m := r.recv()
		if m != nil {
			t.Fatalf("FINAL %v %s", m.Status, m.Text)
		}
		if c.Next == 2 {
			break
		}
	}
	r.sock.Close()
	r.connect()
	r.b.Resume, r.b.ID = true, 2
	r.begin()
	c, m := r.recv()
	if m != nil || c.Next != 2 {
		t.Fatalf("resume: credit %+v, FINAL %v", c, m)
	}
	for i := int64(2); i < 6; i++ {
		r.chunk(i, i == 2, nil)
	}
	r.final(proto.StatusOK)
	f.wantKV("res/**", "res/v="+string(val))

	// Left alone, a partial upload is collected.
	r = newRawStream(t, f, "res/w", val, 3)
	r.begin()
	r.recv()
	r.chunk(0, true, nil)
	r.recv()
	r.sock.Close()
	time.Sleep(time.Second)
	r.connect()
	r.b.Resume, r.b.ID = true, 4
	r.begin()
	r.final(proto.StatusUnknownUpload)
	f.wantKV("res/**", "res/v="+string(val))
}

// PutReader resumes by itself when the server drops its connection
// mid-upload.
func TestPutReaderResumesAfterDisconnect(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	val := randomValue(6<<20+3, 11)
	cut := false
	hook := &hookReader{r: bytes.NewReader(val), at: int64(len(val)) + 3<<20, fn: func() {
		f.srv.streams.mu.Lock()
		for _, p := range f.srv.streams.byID {
			f.srv.sock.DisconnectPeer(p.owner.peer)
			cut = true
		}
		f.srv.streams.mu.Unlock()
	}}
	must(t, f.cli.PutReader(ctx, "res/big", hook, int64(len(val))))
	if !cut {
		t.Fatal("the connection was not cut")
	}
	rc, _, ok, err := f.cli.GetReader(ctx, "res/big")
	must(t, err)
	got, err := io.ReadAll(rc)
	must(t, err)
	rc.Close()
	if !ok || !bytes.Equal(got, val) {
		t.Fatalf("got %d bytes back, want the %d put", len(got), len(val))
	}
}

// hookReader calls fn once when the bytes read (over all passes) reach at.
type hookReader struct {
	r    *bytes.Reader
	n    int64
	at   int64
	fn   func()
	done bool
}

func (h *hookReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	if !h.done && h.n >= h.at {
		h.done = true
		h.fn()
	}
	return n, err
}

func (h *hookReader) Seek(off int64, whence int) (int64, error) { return h.r.Seek(off, whence) }

func TestConfigStreamLimits(t *testing.T) {
	c, err := ParseConfig("t.yaml", []byte("requests: {max_stream_size: 8GiB, upload_idle: 10m}\nstorages: {s: {key_expr: \"**\", volume: memory}}\n"))
	must(t, err)
	if c.Requests.MaxStreamSize != 8<<30 || c.Requests.UploadIdle != 10*time.Minute {
		t.Fatalf("requests %+v", c.Requests)
	}
	if _, err := ParseConfig("t.yaml", []byte("requests: {max_stream_size: 2000000GiB}\nstorages: {s: {key_expr: \"**\", volume: memory}}\n")); err == nil {
		t.Fatal("a stream size over 1PiB was accepted")
	}
}

// A value whose bytes changed on disk after it was stored no longer
// matches its stored BLAKE3 hash: a streamed get is refused
// (INTEGRITY) before anything of it is sent.
func TestStreamedGetRefusesCorruptedBlob(t *testing.T) {
	root := t.TempDir()
	eng, err := engine.Open(engine.Config{Root: root, MinFreeSpace: -1})
	must(t, err)
	f := start(t, setup{opts: Options{Storages: []Storage{{Name: "e", KeyExpr: "**", Store: eng, Volume: "engine"}}}})
	ctx := testCtx(t)
	val := randomValue(3<<20+5, 21)
	must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(val), int64(len(val))))
	blobs, err := filepath.Glob(filepath.Join(root, "blobs", "*"))
	must(t, err)
	if len(blobs) != 1 {
		t.Fatalf("blobs %v", blobs)
	}
	fh, err := os.OpenFile(blobs[0], os.O_RDWR, 0)
	must(t, err)
	_, err = fh.WriteAt([]byte{val[2<<20] ^ 1}, 2<<20)
	must(t, err)
	must(t, fh.Close())
	_, _, _, err = f.cli.GetReader(ctx, "big/v")
	wantStatus(t, err, proto.StatusIntegrity)
}

// A value sent as a streamed reply leaves its tree's leaves in a cache:
// sending it again needs no first pass, and a new write of the key is a
// new entry of the cache, never the old tree.
func TestStreamedGetCachesLeaves(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	get := func(want []byte) {
		t.Helper()
		rc, _, ok, err := f.cli.GetReader(ctx, "big/v")
		must(t, err)
		got, err := io.ReadAll(rc)
		rc.Close()
		must(t, err)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
	}
	cached := func() int {
		f.srv.streams.leaves.mu.Lock()
		defer f.srv.streams.leaves.mu.Unlock()
		return len(f.srv.streams.leaves.m)
	}
	a, b := randomValue(3<<20+1, 30), randomValue(3<<20+1, 31)
	must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(a), int64(len(a))))
	get(a)
	if n := cached(); n != 1 {
		t.Fatalf("%d trees cached after one get", n)
	}
	get(a)
	must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(b), int64(len(b))))
	get(b)
	if n := cached(); n != 2 {
		t.Fatalf("%d trees cached after a new write", n)
	}
}

// omittingStore is an engine store whose Scan reports values over limit
// Omitted, as the engine does for blobs over its MaxGetSize (64 MiB,
// too large for a test).
type omittingStore struct {
	*engine.Store
	limit int
}

func (o omittingStore) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	return o.Store.Scan(ctx, prefix, mode, func(e backend.Entry) error {
		if len(e.Value) > o.limit {
			e.Value, e.Omitted = nil, true
		}
		return fn(e)
	})
}

// A wildcard query answers a value over max_value_size, and one its
// store's Scan left out, as omitted replies (size and BLAKE3 hash, no
// value); small values come back whole; a streamed get reads the large.
func TestWildcardQueryOmitsLargeValues(t *testing.T) {
	eng, err := engine.Open(engine.Config{Root: t.TempDir(), MinFreeSpace: -1})
	must(t, err)
	f := start(t, setup{opts: Options{MaxValueSize: 1 << 20,
		Storages: []Storage{{Name: "e", KeyExpr: "**", Store: omittingStore{eng, 3 << 20}, Volume: "engine"}}}})
	ctx := testCtx(t)
	mid := randomValue(2<<20+3, 31) // over max_value_size, read by Scan
	big := randomValue(4<<20+7, 32) // left out by Scan
	must(t, f.cli.PutReader(ctx, "x/mid", bytes.NewReader(mid), int64(len(mid))))
	must(t, f.cli.PutReader(ctx, "x/big", bytes.NewReader(big), int64(len(big)), store.WithEncoding("application/octet-stream")))
	must(t, f.cli.Put(ctx, "x/small", []byte("hello")))
	samples, err := f.cli.Get(ctx, "x/**")
	must(t, err)
	if len(samples) != 3 {
		t.Fatalf("%d samples", len(samples))
	}
	for i, want := range [][]byte{big, mid} {
		s := samples[i]
		if !s.Omitted || s.Value != nil || s.Size != int64(len(want)) || s.Hash != [32]byte(vstream.Sum(want)) || s.Timestamp.IsZero() {
			t.Fatalf("sample %q: omitted %v, %d value bytes, size %d, hash ok %v", s.Key, s.Omitted, len(s.Value), s.Size, s.Hash == [32]byte(vstream.Sum(want)))
		}
	}
	if samples[0].Key != "x/big" || samples[0].Encoding != "application/octet-stream" {
		t.Fatalf("first sample %q, encoding %q", samples[0].Key, samples[0].Encoding)
	}
	if s := samples[2]; s.Key != "x/small" || s.Omitted || string(s.Value) != "hello" || s.Size != 5 {
		t.Fatalf("small sample %+v", s)
	}
	// The plain key still refuses a non-streamed get, and streams.
	_, err = f.cli.Get(ctx, "x/mid")
	wantStatus(t, err, proto.StatusTooLarge)
	rc, _, ok, err := f.cli.GetReader(ctx, "x/big")
	must(t, err)
	got, err := io.ReadAll(rc)
	rc.Close()
	must(t, err)
	if !ok || !bytes.Equal(got, big) {
		t.Fatalf("streamed get: ok %v, %d bytes", ok, len(got))
	}
}

func TestStreamedGetReusesChunkBuffers(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	const chunks = 12
	v := randomValue(chunks<<20+7, 12)
	must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(v), int64(len(v))))
	before := f.srv.streams.chunkBufs.Load()
	rc, _, ok, err := f.cli.GetReader(ctx, "big/v")
	must(t, err)
	got, err := io.ReadAll(rc)
	rc.Close()
	must(t, err)
	if !ok || !bytes.Equal(got, v) {
		t.Fatalf("got %d bytes, want %d", len(got), len(v))
	}
	// The client grants DefaultWindow chunks past what it has received:
	// the reply needs no more buffers than that, plus the one being
	// filled, for its 13 chunks.
	if made := f.srv.streams.chunkBufs.Load() - before; made < 1 || made > proto.DefaultWindow+1 {
		t.Fatalf("a reply of %d chunks made %d chunk buffers, want 1 to %d", chunks+1, made, proto.DefaultWindow+1)
	}
}
