package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

func streamEntry(key string, size int64, t int64) backend.StreamEntry {
	return backend.StreamEntry{Entry: backend.Entry{Key: key, Encoding: "x/y", Timestamp: hlc.Timestamp{Time: t}},
		Size: size, Hash: [32]byte{0: 0xb3, 31: 1}}
}

// TestStreamedFileFormat checks the file PutStream writes: the header with
// the hash flag and the hash, then the value; and that it survives a
// reopen with its hash.
func TestStreamedFileFormat(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	value := bytes.Repeat([]byte("0123456789"), 100_000)
	e := streamEntry("a/b", int64(len(value)), 5)
	if applied, err := s.PutStream(context.Background(), e, bytes.NewReader(value)); err != nil || !applied {
		t.Fatalf("PutStream = %v, %v", applied, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a", "b~"))
	if err != nil {
		t.Fatal(err)
	}
	h, need, err := decodeHeader(b)
	if err != nil || need != 0 || h.hash != e.Hash || b[5] != flagHash || h.size != fixedLen+3+hashLen+4 {
		t.Fatalf("header %+v, flags %#x, %d, %v", h, b[5], need, err)
	}
	if got, err := decodeFile(b); err != nil || !bytes.Equal(got.Value, value) || got.Encoding != "x/y" {
		t.Fatalf("decodeFile of the streamed file: %v", err)
	}
	backendtest.MustClose(t, s)
	s = open(t, dir)
	got, rc, ok, err := s.OpenStream(context.Background(), "a/b", 0)
	if err != nil || !ok || got.Hash != e.Hash || got.Size != e.Size {
		t.Fatalf("after reopen: %+v, %v, %v", got, ok, err)
	}
	rc.Close()
}

// TestStreamCorruptValue flips a byte of a stored value: a whole read
// through OpenStream fails with ErrCorrupt at its end.
func TestStreamCorruptValue(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	value := bytes.Repeat([]byte("v"), 300_000)
	e := streamEntry("k", int64(len(value)), 1)
	if _, err := s.PutStream(context.Background(), e, bytes.NewReader(value)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "k~")
	b, _ := os.ReadFile(path)
	b[len(b)-1000] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, rc, _, err := s.OpenStream(context.Background(), "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); !errors.Is(err, backend.ErrCorrupt) {
		t.Fatalf("reading a corrupted value: %v, want ErrCorrupt", err)
	}
}

// TestStreamFailureLeavesNoFile checks that a failed streamed put leaves
// no temporary file behind.
func TestStreamFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	e := streamEntry("d/k", 1<<20, 1)
	if _, err := s.PutStream(context.Background(), e, bytes.NewReader(make([]byte, 1000))); !errors.Is(err, backend.ErrStreamSize) {
		t.Fatalf("short reader: %v", err)
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), tempPrefix) {
			t.Errorf("left behind: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ro := open(t, t.TempDir(), ReadOnly())
	if _, err := ro.PutStream(context.Background(), e, bytes.NewReader(nil)); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only store: %v", err)
	}
}
