package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

// blobs lists the files of the blob directory.
func blobs(t *testing.T, root string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(root, blobDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A large streamed value is a blob file; overwriting or deleting the key
// removes it; it survives a reopen; what no entry names is swept at open.
func TestBlobLifecycle(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := Open(Config{Root: root, MinFreeSpace: -1})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (InlineMax+100)/16)
	e := backend.StreamEntry{Entry: backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 1}}, Size: int64(len(big)), Hash: [32]byte{7}}
	backendtest.MustPutStream(t, s, e, big, true)
	if n := blobs(t, root); len(n) != 1 {
		t.Fatalf("blobs after a large put: %v", n)
	}
	got, ok, err := s.Get(ctx, "k")
	if err != nil || !ok || !bytes.Equal(got.Value, big) {
		t.Fatalf("Get of a blob: %v %v, %d bytes", ok, err, len(got.Value))
	}
	e.Timestamp.Time = 2
	backendtest.MustPutStream(t, s, e, big, true)
	first := blobs(t, root)
	if len(first) != 1 {
		t.Fatalf("blobs after an overwrite: %v", first)
	}
	// Reopen: the blob is still there and read back.
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// An orphan and a temporary file, as a crash would leave them.
	orphan := filepath.Join(root, blobDir, "00112233445566778899aabbccddeeff")
	tmp := filepath.Join(root, blobDir, tmpPrefix+"00112233445566778899aabbccddee00")
	for _, f := range []string{orphan, tmp} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(Config{Root: root, MinFreeSpace: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if n := blobs(t, root); len(n) != 1 || n[0] != first[0] {
		t.Fatalf("blobs after reopen: %v, want %v", n, first)
	}
	se, rc, ok, err := s.OpenStream(ctx, "k", 16)
	if err != nil || !ok || se.Hash != [32]byte{7} || se.Size != int64(len(big)) {
		t.Fatalf("OpenStream: %v %v %+v", ok, err, se)
	}
	v, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(v, big[16:]) {
		t.Fatalf("read %d bytes, %v", len(v), err)
	}
	// A tombstone removes the blob.
	backendtest.MustApply(t, s, backend.Entry{Key: "k", Deleted: true, Timestamp: hlc.Timestamp{Time: 3}}, true)
	if n := blobs(t, root); len(n) != 0 {
		t.Fatalf("blobs after a delete: %v", n)
	}
}

// Scan in ScanValues mode reports a blob over the Get limit Omitted,
// without reading it, where Get refuses it; smaller values come back
// whole. The limit is lowered so that the test stays small.
func TestScanOmitsLargeBlob(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := Open(Config{Root: root, MinFreeSpace: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	s.v.getMax = InlineMax + 1
	big := bytes.Repeat([]byte("0123456789abcdef"), (InlineMax+100)/16)
	mid := bytes.Repeat([]byte("x"), InlineMax+1) // a blob, at the limit
	ts := hlc.Timestamp{Time: 1}
	backendtest.MustPutStream(t, s, backend.StreamEntry{Entry: backend.Entry{Key: "d/big", Encoding: "text/plain", Timestamp: ts},
		Size: int64(len(big)), Hash: [32]byte{9}}, big, true)
	backendtest.MustPutStream(t, s, backend.StreamEntry{Entry: backend.Entry{Key: "d/mid", Timestamp: ts},
		Size: int64(len(mid)), Hash: [32]byte{8}}, mid, true)
	backendtest.MustApply(t, s, backend.Entry{Key: "d/small", Value: []byte("v"), Timestamp: ts}, true)
	if _, _, err := s.Get(ctx, "d/big"); !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Get of a blob over the limit: %v", err)
	}
	// With the blob's file gone, a scan that read it would fail.
	se, rc, ok, err := s.OpenStream(ctx, "d/big", 0)
	if err != nil || !ok {
		t.Fatalf("OpenStream: %v %v", ok, err)
	}
	rc.Close()
	if err := os.Remove(s.v.blobPath(blobIDOf(t, s, "d/big"))); err != nil {
		t.Fatal(err)
	}
	got := backendtest.Scan(t, s, "d/", backend.ScanValues)
	if e := got["d/big"]; !e.Omitted || e.Value != nil || e.Encoding != "text/plain" || e.Timestamp != ts || se.Size != int64(len(big)) {
		t.Fatalf("scanned large blob %+v", e)
	}
	if e := got["d/mid"]; e.Omitted || !bytes.Equal(e.Value, mid) {
		t.Fatalf("scanned blob at the limit: omitted %v, %d bytes", e.Omitted, len(e.Value))
	}
	if e := got["d/small"]; e.Omitted || string(e.Value) != "v" {
		t.Fatalf("scanned small value %+v", e)
	}
	if meta := backendtest.Scan(t, s, "d/", backend.ScanMeta)["d/big"]; meta.Omitted || meta.Value != nil {
		t.Fatalf("ScanMeta entry %+v", meta)
	}
	// An Omitted entry cannot be stored back.
	if _, err := s.Apply(ctx, got["d/big"]); !errors.Is(err, backend.ErrInvalidEntry) {
		t.Fatalf("Apply of an Omitted entry: %v", err)
	}
}

// blobIDOf returns the blob key's entry names.
func blobIDOf(t *testing.T, s *Store, key string) blobID {
	t.Helper()
	raw, closer, err := s.v.db.Get(s.key(key))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	st, err := decodeStored(key, raw)
	if err != nil || !st.blob {
		t.Fatalf("entry of %q: blob %v, %v", key, st.blob, err)
	}
	return st.id
}

// TestLWWRememberedStreams: a streamed put replaces what a key's lock
// stripe remembers of the key (keyStripe.known): after a blob put over a
// remembered inline entry, an older put is refused and a newer one
// removes the blob; an inline streamed put is remembered like a put.
func TestLWWRememberedStreams(t *testing.T) {
	root := t.TempDir()
	s, err := Open(Config{Root: root, MinFreeSpace: -1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer backendtest.MustClose(t, s)
	at := func(ts int64) backend.Entry {
		return backend.Entry{Key: "k", Value: []byte("small"), Timestamp: hlc.Timestamp{Time: ts}}
	}
	backendtest.MustApply(t, s, at(10), true)
	if _, ok := remembered(s, "k"); !ok {
		t.Fatal("a put is not remembered")
	}
	big := bytes.Repeat([]byte("x"), InlineMax+1)
	blob := backend.StreamEntry{Entry: backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 20}}, Size: int64(len(big))}
	backendtest.MustPutStream(t, s, blob, big, true)
	if n := blobs(t, root); len(n) != 1 {
		t.Fatalf("blobs after a large put: %v", n)
	}
	backendtest.MustApply(t, s, at(15), false) // older than the blob
	backendtest.MustApply(t, s, at(20), false) // as new
	backendtest.MustApply(t, s, at(30), true)  // newer: the blob goes
	if n := blobs(t, root); len(n) != 0 {
		t.Fatalf("blobs after the blob was overwritten: %v", n)
	}
	small := backend.StreamEntry{Entry: backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 40}}, Size: 5}
	backendtest.MustPutStream(t, s, small, []byte("inline"[:5]), true)
	if ts, ok := remembered(s, "k"); !ok || ts.Time != 40 {
		t.Fatalf("an inline streamed put is remembered as %v, %v; want time 40", ts, ok)
	}
	backendtest.MustApply(t, s, at(35), false)
	e, ok, err := s.Get(context.Background(), "k")
	if err != nil || !ok || e.Timestamp.Time != 40 || string(e.Value) != "inlin" {
		t.Fatalf("Get: %+v, %v, %v; want the streamed put at 40", e, ok, err)
	}
}
