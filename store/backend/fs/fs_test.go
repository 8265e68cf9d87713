package fs

import (
	"bytes"
	"context"
	"errors"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

func quiet() Option { return WithLogger(slog.New(slog.DiscardHandler)) }

func open(t *testing.T, dir string, opt ...Option) *Store {
	t.Helper()
	s, err := Open(dir, append([]Option{quiet()}, opt...)...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	backendtest.CloseOnCleanup(t, s)
	return s
}

// mustWriteFile writes data to the file p, creating its directory.
func mustWriteFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// scanKeys returns the keys a full Scan of s reports, in order.
func scanKeys(t *testing.T, s backend.Store, mode backend.ScanMode) []string {
	t.Helper()
	var keys []string
	if err := s.Scan(context.Background(), "", mode, func(e backend.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return keys
}

// noSync skips fsync: for the suites that check semantics, not durability
// (TestConformancePersistent and the SIGKILL test keep it).
func noSync() Option { return func(o *options) { o.noSync = true } }

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backend.Store { return open(t, t.TempDir(), noSync()) })
}

func TestConformancePersistent(t *testing.T) {
	backendtest.RunPersistent(t, func(t *testing.T) backendtest.Opener {
		dir := t.TempDir()
		return func(t *testing.T) backend.Store { return open(t, dir) }
	})
}

func TestConformanceThroughVolume(t *testing.T) {
	v, err := backend.NewVolume(context.Background(), Kind, backend.Options{"root": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	v.(*Volume).extra = []Option{quiet(), noSync()}
	backendtest.CloseOnCleanup(t, v)
	n := 0
	backendtest.Run(t, func(t *testing.T) backend.Store {
		n++
		s, err := v.Open(context.Background(), "storage"+string(rune('a'+n%26))+strings.Repeat("x", n/26), backend.StorageConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

var ts1 = hlc.Timestamp{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), Source: hlc.ID{1}}

func at(d time.Duration) hlc.Timestamp {
	t := ts1
	t.Time += int64(d)
	return t
}

// files lists every file and directory under dir, relative, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestFilesOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	for _, k := range []string{"a", "a/b", "ab", "", "Hello/..", "a/b/c"} {
		if _, err := s.Apply(ctx, backend.Entry{Key: k, Value: []byte("v"), Timestamp: ts1}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"%~", ".lock", "^hello/", "^hello/%2e.~", "a/", "a/b/", "a/b/c~", "a/b~", "ab~", "a~"}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %q\nwant    %q", got, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "a", "b~"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("zmkv\x01\x00")) || !bytes.HasSuffix(raw, []byte("v")) || len(raw) != 52+1 {
		t.Fatalf("a/b~ holds % x", raw)
	}
}

func TestCollectRemovesEmptyDirectories(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	backendtest.MustApply(t, s, backend.Entry{Key: "x/y/z/gone", Timestamp: at(0), Deleted: true}, true)
	backendtest.MustApply(t, s, backend.Entry{Key: "x/kept", Value: []byte("v"), Timestamp: at(0)}, true)
	backendtest.MustApply(t, s, backend.Entry{Key: "deep/er/est", Timestamp: at(0), Deleted: true}, true)
	if n, err := s.Collect(ctx, time.Unix(0, at(time.Second).Time)); n != 2 || err != nil {
		t.Fatalf("Collect = %d, %v", n, err)
	}
	if got, want := files(t, dir), []string{".lock", "x/", "x/kept~"}; !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q", got, want)
	}
	// The store still writes where it pruned.
	if ok, err := s.Apply(ctx, backend.Entry{Key: "x/y/z/gone", Value: []byte("back"), Timestamp: at(-time.Hour)}); !ok || err != nil {
		t.Fatalf("Apply after pruning = %v, %v", ok, err)
	}
	if ok, err := s.Apply(ctx, backend.Entry{Key: "deep/er/est", Value: []byte("back"), Timestamp: at(-time.Hour)}); !ok || err != nil {
		t.Fatalf("Apply after pruning = %v, %v", ok, err)
	}
}

func TestOpenRemovesTemporaryFilesAndIgnoresForeignOnes(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	good := backend.Entry{Key: "a/b", Value: []byte("v"), Encoding: "e", Timestamp: ts1}
	backendtest.MustApply(t, s, good, true)
	backendtest.MustClose(t, s)
	// What a crash mid-write leaves, and what other programs may put there.
	mustWrite := func(rel string, data []byte) {
		t.Helper()
		mustWriteFile(t, filepath.Join(dir, filepath.FromSlash(rel)), data)
	}
	mustWrite("a/.tmp-0123456789abcdef", []byte("zmkv half-written"))
	mustWrite(".tmp-00000000000000ff", nil)
	mustWrite("deep/er/.tmp-1", nil)
	mustWrite("README", []byte("not an entry"))
	mustWrite("a/%61~", []byte("non-canonical name for a/a"))
	mustWrite("Upper~", []byte("upper case is never written"))
	if err := os.MkdirAll(filepath.Join(dir, "empty", "dirs"), 0o700); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	if got, want := files(t, dir), []string{".lock", "README", "Upper~", "a/", "a/%61~", "a/b~"}; !slices.Equal(got, want) {
		t.Fatalf("after Open, files = %q\nwant %q", got, want)
	}
	if keys := scanKeys(t, s, backend.ScanValues); !slices.Equal(keys, []string{"a/b"}) {
		t.Fatalf("Scan = %q, want [a/b]", keys)
	}
	if e, ok, err := s.Get(ctx, "a/b"); !ok || err != nil || string(e.Value) != "v" || e.Encoding != "e" || e.Timestamp != ts1 {
		t.Fatalf("Get(a/b) = %+v, %v, %v", e, ok, err)
	}
}

func TestCorruptEntry(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	for _, k := range []string{"bad", "good"} {
		backendtest.MustApply(t, s, backend.Entry{Key: k, Value: []byte("value"), Timestamp: ts1}, true)
	}
	p := filepath.Join(dir, "bad~")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 0xff // flip the value's last byte
	mustWriteFile(t, p, raw)

	if _, _, err := s.Get(ctx, "bad"); !errors.Is(err, backend.ErrCorrupt) || !errors.Is(err, backend.ErrBackend) {
		t.Fatalf("Get(bad) error = %v, want ErrCorrupt", err)
	}
	if keys := scanKeys(t, s, backend.ScanValues); !slices.Equal(keys, []string{"good"}) {
		t.Fatalf("Scan = %q, want only [good]", keys)
	}
	// The header is intact, so a stale write is still refused...
	if ok, err := s.Apply(ctx, backend.Entry{Key: "bad", Value: []byte("stale"), Timestamp: at(-time.Second)}); ok || err != nil {
		t.Fatalf("stale Apply over a corrupt value = %v, %v", ok, err)
	}
	// ...and a newer one repairs the key.
	fixed := backend.Entry{Key: "bad", Value: []byte("fixed"), Timestamp: at(time.Second)}
	if ok, err := s.Apply(ctx, fixed); !ok || err != nil {
		t.Fatalf("Apply over a corrupt entry = %v, %v", ok, err)
	}
	if e, ok, err := s.Get(ctx, "bad"); !ok || err != nil || string(e.Value) != "fixed" {
		t.Fatalf("Get(bad) after repair = %+v, %v, %v", e, ok, err)
	}
	// A damaged header: any write replaces it.
	mustWriteFile(t, p, []byte("garbage"))
	if ok, err := s.Apply(ctx, backend.Entry{Key: "bad", Value: []byte("again"), Timestamp: at(-time.Hour)}); !ok || err != nil {
		t.Fatalf("Apply over a damaged header = %v, %v", ok, err)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w := open(t, dir)
	if _, err := Open(dir, quiet()); !errors.Is(err, backend.ErrInUse) {
		t.Fatalf("second writer: %v, want ErrInUse", err)
	}
	if _, err := Open(dir, quiet(), ReadOnly()); !errors.Is(err, backend.ErrInUse) {
		t.Fatalf("reader beside a writer: %v, want ErrInUse", err)
	}
	backendtest.MustApply(t, w, backend.Entry{Key: "k", Value: []byte("v"), Timestamp: ts1}, true)
	backendtest.MustClose(t, w)

	r1 := open(t, dir, ReadOnly())
	r2 := open(t, dir, ReadOnly())
	if e, ok, err := r2.Get(ctx, "k"); !ok || err != nil || string(e.Value) != "v" {
		t.Fatalf("read-only Get = %+v, %v, %v", e, ok, err)
	}
	if _, err := r1.Apply(ctx, backend.Entry{Key: "k", Timestamp: at(time.Hour)}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only Apply: %v, want ErrReadOnly", err)
	}
	if _, err := r1.Collect(ctx, time.Now()); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("read-only Collect: %v, want ErrReadOnly", err)
	}
	if _, err := Open(dir, quiet()); !errors.Is(err, backend.ErrInUse) {
		t.Fatalf("writer beside readers: %v, want ErrInUse", err)
	}
	backendtest.MustClose(t, r1)
	backendtest.MustClose(t, r2)
	open(t, dir)

	if _, err := Open(filepath.Join(t.TempDir(), "missing"), quiet(), ReadOnly()); !errors.Is(err, iofs.ErrNotExist) || !errors.Is(err, backend.ErrBackend) {
		t.Fatalf("read-only Open of a missing directory: %v", err)
	}
}

func TestOpenRefusesAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file")
	mustWriteFile(t, p, nil)
	if _, err := Open(filepath.Join(p, "sub"), quiet()); !errors.Is(err, backend.ErrBackend) {
		t.Fatalf("Open under a file: %v, want ErrBackend", err)
	}
}

func TestDeleteOnClose(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	s := open(t, dir, DeleteOnClose())
	backendtest.MustApply(t, s, backend.Entry{Key: "a/b", Value: []byte("v"), Timestamp: ts1}, true)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("storage directory after Close with DeleteOnClose: %v", err)
	}
}

func TestDirectoriesRemovedBehindTheStoresBack(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	backendtest.MustApply(t, s, backend.Entry{Key: "a/b/c", Value: []byte("v"), Timestamp: ts1}, true)
	if err := os.RemoveAll(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Apply(ctx, backend.Entry{Key: "a/b/d", Value: []byte("v"), Timestamp: ts1}); !ok || err != nil {
		t.Fatalf("Apply after its directory vanished = %v, %v", ok, err)
	}
}

func TestSymlinkCannotLeadOutside(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	mustWriteFile(t, filepath.Join(outside, "x~"), encodeFile(backend.Entry{Value: []byte("secret"), Timestamp: ts1}))
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, ok, err := s.Get(ctx, "link/x"); ok || err == nil {
		t.Fatalf("Get through a symlink leaving the store = %v, %v; want an error", ok, err)
	}
	if keys := scanKeys(t, s, backend.ScanValues); len(keys) != 0 {
		t.Fatalf("Scan followed a symlink out of the store (%q)", keys)
	}
	if _, err := s.Apply(ctx, backend.Entry{Key: "link/y", Value: []byte("v"), Timestamp: ts1}); err == nil {
		t.Fatal("Apply through a symlink leaving the store succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "y~")); err == nil {
		t.Fatal("a file was written outside the store")
	}
}

func TestVolumeNilContext(t *testing.T) {
	backendtest.RunVolumeNilContext(t, Kind, backend.Options{"root": t.TempDir()}, backend.StorageConfig{})
}

func TestVolume(t *testing.T) {
	ctx := context.Background()
	if _, err := backend.NewVolume(ctx, Kind, nil); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Fatalf("fs volume without root: %v", err)
	}
	if _, err := backend.NewVolume(ctx, Kind, backend.Options{"root": "/x", "dir": "y"}); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Fatalf("fs volume with an unknown option: %v", err)
	}
	root := t.TempDir()
	v, err := backend.NewVolume(ctx, Kind, backend.Options{"root": root})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	for _, opts := range []backend.Options{
		{"dir": "../escape"}, {"dir": "/abs"}, {"dir": ""}, {"dir": "a/../../b"}, {"dir": ".hidden"}, {"dir": "a/.b"},
		{"dir": 3}, {"on_closure": "destroy_bucket"}, {"bucket": "b"},
	} {
		if _, err := v.Open(ctx, "s", backend.StorageConfig{Options: opts}); !errors.Is(err, backend.ErrInvalidConfig) {
			t.Errorf("Open with %v: %v, want ErrInvalidConfig", opts, err)
		}
	}
	if _, err := v.Open(ctx, "..", backend.StorageConfig{}); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Errorf("Open of a storage named ..: %v, want ErrInvalidConfig", err)
	}
	a, err := v.Open(ctx, "a", backend.StorageConfig{Options: backend.Options{"dir": "data/a"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"data/a", "data", "data/a/b", "data/./a"} {
		if _, err := v.Open(ctx, "b", backend.StorageConfig{Options: backend.Options{"dir": dir}}); !errors.Is(err, backend.ErrInUse) {
			t.Errorf("Open of overlapping dir %q: %v, want ErrInUse", dir, err)
		}
	}
	b, err := v.Open(ctx, "b", backend.StorageConfig{Options: backend.Options{"dir": "data/ab", "on_closure": "delete_all"}})
	if err != nil {
		t.Fatal(err)
	}
	backendtest.MustApply(t, a, backend.Entry{Key: "k", Value: []byte("v"), Timestamp: ts1}, true)
	backendtest.MustApply(t, b, backend.Entry{Key: "k", Value: []byte("v"), Timestamp: ts1}, true)
	ro, err := v.Open(ctx, "c", backend.StorageConfig{ReadOnly: true, Options: backend.Options{"dir": "data/a"}})
	if !errors.Is(err, backend.ErrInUse) {
		t.Fatalf("read-only Open of an open dir: %v, %v", ro, err)
	}
	if err := v.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Get(ctx, "k"); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Get after the volume closed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "data", "a", "k~")); err != nil {
		t.Fatalf("do_nothing storage lost its files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "data", "ab")); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("delete_all storage still has its directory: %v", err)
	}
	if _, err := v.Open(ctx, "d", backend.StorageConfig{}); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Open on a closed volume: %v", err)
	}
	// Reopen the data with a new volume, read-only.
	v2 := NewVolume(root)
	defer backendtest.MustClose(t, v2)
	r, err := v2.Open(ctx, "a", backend.StorageConfig{ReadOnly: true, Options: backend.Options{"dir": "data/a"}})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok, err := r.Get(ctx, "k"); !ok || err != nil || string(e.Value) != "v" {
		t.Fatalf("Get from the reopened storage = %+v, %v, %v", e, ok, err)
	}
	if _, err := r.Apply(ctx, backend.Entry{Key: "k", Timestamp: at(time.Hour)}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("Apply on a read-only storage: %v", err)
	}
}

func TestDepthLimit(t *testing.T) {
	s := open(t, t.TempDir(), noSync())
	ctx := context.Background()
	deepest := strings.Repeat("/", maxDepth) // maxDepth+1 empty chunks: maxDepth directories
	if ok, err := s.Apply(ctx, backend.Entry{Key: deepest, Value: []byte("v"), Timestamp: ts1}); !ok || err != nil {
		t.Fatalf("Apply at the depth limit = %v, %v", ok, err)
	}
	tooDeep := deepest + "/"
	if _, err := s.Apply(ctx, backend.Entry{Key: tooDeep, Value: []byte("v"), Timestamp: ts1}); !errors.Is(err, backend.ErrInvalidKey) {
		t.Fatalf("Apply beyond the depth limit: %v, want ErrInvalidKey", err)
	}
	if _, _, err := s.Get(ctx, tooDeep); !errors.Is(err, backend.ErrInvalidKey) {
		t.Fatalf("Get beyond the depth limit: %v, want ErrInvalidKey", err)
	}
	if keys := scanKeys(t, s, backend.ScanMeta); !slices.Equal(keys, []string{deepest}) {
		t.Fatalf("Scan found %d keys, want the deepest one", len(keys))
	}
}

// TestDeleteOnCloseKeepsForeignFiles: delete_all removes the store's
// entries and the directories it made, and leaves every file it did not
// write where it was, with the directories holding it.
func TestDeleteOnCloseKeepsForeignFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "storage")
	mustWriteFile(t, filepath.Join(dir, "README.txt"), []byte("not the store's")) // there before Open
	s := open(t, dir, DeleteOnClose())
	for _, k := range []string{"a/b", "a/c/d", "x", "keep/y"} {
		backendtest.MustApply(t, s, backend.Entry{Key: k, Value: []byte("v"), Timestamp: ts1}, true)
	}
	// Foreign files written while the store is open: beside an entry, in a
	// directory of their own, hidden.
	mustWriteFile(t, filepath.Join(dir, "keep", "notes"), []byte("mine"))
	mustWriteFile(t, filepath.Join(dir, "other", "deep", "f.bin"), []byte("mine"))
	mustWriteFile(t, filepath.Join(dir, ".hidden"), []byte("mine"))
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left []string
	err := filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		left = append(left, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".", ".hidden", "README.txt", "keep", "keep/notes", "other", "other/deep", "other/deep/f.bin"}
	if !slices.Equal(left, want) {
		t.Fatalf("after delete_all: %q, want %q", left, want)
	}
}
