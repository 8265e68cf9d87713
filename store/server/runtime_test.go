package server

import (
	"context"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/internal/storetest"
	"github.com/zmesh/zmesh/store/proto"
)

func storageNames(s *Server) []string {
	var names []string
	for _, st := range s.Storages() {
		names = append(names, st.Name)
	}
	return names
}

// A storage added at run time on an fs volume added at run time serves
// requests; removing it closes its store, which runs on_closure.
func TestAddRemoveStorageAtRunTime(t *testing.T) {
	volRoot := t.TempDir()
	f := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", "")}, VolumeRoot: volRoot}})
	ctx := testCtx(t)
	root := filepath.Join(volRoot, "disk")
	must(t, f.srv.AddVolume(ctx, VolumeConfig{Name: "disk", Kind: "fs", Options: backend.Options{"root": root}}))
	sc := StorageConfig{Name: "files", KeyExpr: "files/**", StripPrefix: "files", Volume: "disk",
		Options: backend.Options{"on_closure": "delete_all"}}
	must(t, f.srv.AddStorage(ctx, sc))
	must(t, f.cli.Put(ctx, "files/a", []byte("A")))
	f.wantKV("files/**", "files/a=A")
	if _, err := os.Stat(filepath.Join(root, "files")); err != nil {
		t.Fatalf("the fs storage has no directory: %v", err)
	}
	// Adding it again unchanged is a no-op: same store, data kept.
	must(t, f.srv.AddStorage(ctx, sc))
	if got := f.getKV("files/**"); len(got) != 1 {
		t.Fatalf("an unchanged AddStorage replaced the storage: %v", got)
	}
	info, err := f.cli.Info(ctx)
	must(t, err)
	if len(info.Storages) != 2 || info.Storages[1] != (store.StorageInfo{Name: "files", KeyExpr: "files/**", StripPrefix: "files", Volume: "disk"}) {
		t.Fatalf("admin space: %+v", info.Storages)
	}
	if err := f.srv.RemoveVolume(ctx, "disk"); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "files") {
		t.Fatalf("RemoveVolume of a used volume: %v, want ErrInUse naming the storage", err)
	}
	if err := f.srv.AddVolume(ctx, VolumeConfig{Name: "disk", Kind: "fs", Options: backend.Options{"root": filepath.Join(volRoot, "other")}}); !errors.Is(err, ErrInUse) {
		t.Fatalf("replacing a used volume: %v, want ErrInUse", err)
	}
	must(t, f.srv.RemoveStorage(ctx, "files"))
	if _, err := os.Stat(filepath.Join(root, "files")); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("on_closure delete_all did not run: %v", err)
	}
	if err := f.cli.Put(ctx, "files/b", []byte("B")); !errors.Is(err, proto.StatusNoStorage) {
		t.Fatalf("put after removal: %v", err)
	}
	if err := f.srv.RemoveStorage(ctx, "files"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second RemoveStorage: %v, want ErrNotFound", err)
	}
	must(t, f.srv.RemoveVolume(ctx, "disk"))
	if err := f.srv.RemoveVolume(ctx, "disk"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second RemoveVolume: %v, want ErrNotFound", err)
	}
	if got := storageNames(f.srv); !slices.Equal(got, []string{"base"}) {
		t.Fatalf("storages %v", got)
	}
}

// A change that fails returns a clear error and leaves the others alone.
func TestRuntimeChangesRefused(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", "")}}})
	ctx := testCtx(t)
	must(t, f.cli.Put(ctx, "base/k", []byte("v")))
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"bad storage name", func() error {
			return f.srv.AddStorage(ctx, StorageConfig{Name: "a b", KeyExpr: "x/**", Volume: "memory"})
		}, ErrInvalidOptions},
		{"bad key_expr", func() error {
			return f.srv.AddStorage(ctx, StorageConfig{Name: "x", KeyExpr: "x//y", Volume: "memory"})
		}, ErrInvalidOptions},
		{"bad strip_prefix", func() error {
			return f.srv.AddStorage(ctx, StorageConfig{Name: "x", KeyExpr: "x/**", StripPrefix: "xy", Volume: "memory"})
		}, ErrInvalidOptions},
		{"no volume", func() error { return f.srv.AddStorage(ctx, StorageConfig{Name: "x", KeyExpr: "x/**"}) }, ErrInvalidOptions},
		{"unknown volume", func() error {
			return f.srv.AddStorage(ctx, StorageConfig{Name: "x", KeyExpr: "x/**", Volume: "nowhere"})
		}, ErrNotFound},
		{"unknown kind", func() error { return f.srv.AddVolume(ctx, VolumeConfig{Name: "v", Kind: "floppy"}) }, backend.ErrUnknownKind},
		{"bad volume option", func() error {
			return f.srv.AddVolume(ctx, VolumeConfig{Name: "v", Kind: "fs", Options: backend.Options{"rooot": "/tmp"}})
		}, backend.ErrInvalidConfig},
		{"bad storage option", func() error {
			must(t, f.srv.AddVolume(ctx, VolumeConfig{Name: "mem2", Kind: "memory"}))
			return f.srv.AddStorage(ctx, StorageConfig{Name: "x", KeyExpr: "x/**", Volume: "mem2", Options: backend.Options{"colour": 1}})
		}, backend.ErrInvalidConfig},
		{"remove unknown storage", func() error { return f.srv.RemoveStorage(ctx, "nope") }, ErrNotFound},
	}
	for _, tt := range tests {
		if err := tt.do(); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := storageNames(f.srv); !slices.Equal(got, []string{"base"}) {
		t.Fatalf("storages after refused changes: %v", got)
	}
	f.wantKV("base/**", "base/k=v")
}

// blockingStore holds Apply until released, and records whether it was
// closed while an Apply was running.
type blockingStore struct {
	backend.Store
	entered      chan struct{}
	release      chan struct{}
	running      atomic.Int32
	closedInside atomic.Bool
	closed       atomic.Bool
}

func (b *blockingStore) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	b.running.Add(1)
	defer b.running.Add(-1)
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	return b.Store.Apply(ctx, e)
}

func (b *blockingStore) Close(ctx context.Context) error {
	if b.running.Load() > 0 {
		b.closedInside.Store(true)
	}
	b.closed.Store(true)
	return b.Store.Close(ctx)
}

// RemoveStorage waits for the requests in flight on the storage before it
// closes the store, and they succeed.
func TestRemoveStorageWaitsForRequestsInFlight(t *testing.T) {
	bs := &blockingStore{Store: memory.New(), entered: make(chan struct{}, 1), release: make(chan struct{})}
	f := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", ""), {Name: "slow", KeyExpr: "slow/**", Store: bs}}}})
	ctx := testCtx(t)
	putErr := make(chan error, 1)
	go func() { putErr <- f.cli.Put(ctx, "slow/k", []byte("v")) }()
	<-bs.entered
	removed := make(chan error, 1)
	go func() { removed <- f.srv.RemoveStorage(ctx, "slow") }()
	// The storage is gone for new requests at once, while the put is
	// still inside Apply.
	for slices.Contains(storageNames(f.srv), "slow") {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-removed:
		t.Fatalf("RemoveStorage returned (%v) with a request in flight", err)
	default:
	}
	if bs.closed.Load() {
		t.Fatal("the store was closed under a request in flight")
	}
	close(bs.release)
	must(t, <-putErr)
	must(t, <-removed)
	if !bs.closed.Load() || bs.closedInside.Load() {
		t.Fatalf("closed=%v, closed during Apply=%v", bs.closed.Load(), bs.closedInside.Load())
	}
}

// Reconfigure applies a new set in Zenoh's order and leaves unchanged
// storages alone (their data stays).
func TestReconfigure(t *testing.T) {
	c, err := ParseConfig("r.yaml", []byte(`
server: {bind: ["tcp://127.0.0.1:*"]}
volumes:
  m1: {kind: memory}
storages:
  keep: {key_expr: keep/**, volume: m1}
  change: {key_expr: change/**, volume: m1}
  drop: {key_expr: drop/**, volume: m1}
`))
	must(t, err)
	srv, cli := serveConfig(t, c)
	ctx := testCtx(t)
	for _, k := range []string{"keep/a", "change/a", "drop/a"} {
		must(t, cli.Put(ctx, k, []byte("1")))
	}
	next, err := ParseConfig("r2.yaml", []byte(`
volumes:
  m1: {kind: memory}
  m2: {kind: memory}
storages:
  keep: {key_expr: keep/**, volume: m1}
  change: {key_expr: change/**, volume: m2}
  new: {key_expr: new/**, volume: m2}
`))
	must(t, err)
	must(t, srv.Reconfigure(ctx, next.Volumes, next.Storages))
	if got := storageNames(srv); !slices.Equal(got, []string{"keep", "change", "new"}) {
		t.Fatalf("storages %v", got)
	}
	var vols []string
	for _, v := range srv.Volumes() {
		vols = append(vols, v.Name+":"+strings.Join(v.Storages, ","))
	}
	if !slices.Equal(vols, []string{"m1:keep", "m2:change,new"}) {
		t.Fatalf("volumes %v", vols)
	}
	got, err := cli.Get(ctx, "**")
	must(t, err)
	if kvs := kv(got); !slices.Equal(kvs, []string{"keep/a=1"}) {
		t.Fatalf("after Reconfigure: %v (keep's data must stay, change moved to an empty volume)", kvs)
	}
	// Dropping a volume that a kept storage still uses is refused (and
	// said so); the rest applies.
	err = srv.Reconfigure(ctx, []VolumeConfig{{Name: "m1", Kind: "memory"}}, []StorageConfig{next.Storages[0], next.Storages[1]})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), `"m2"`) || strings.Contains(err.Error(), `"m1"`) {
		t.Fatalf("Reconfigure dropping a used volume: %v, want ErrInUse about m2 only", err)
	}
	if got := storageNames(srv); !slices.Equal(got, []string{"keep", "change"}) {
		t.Fatalf("storages %v", got)
	}
}

// Redact hides every secret, at any depth, in any case.
func TestRedact(t *testing.T) {
	o := backend.Options{
		"url":        "http://user:hunter2@minio:9000",
		"access_key": "AKIA-SECRET-1",
		"Secret_Key": "SECRET-2",
		"private":    backend.Options{"anything": "SECRET-3"},
		"tls":        map[string]any{"root_ca_certificate_file": "/ca.pem", "client_key_password": "SECRET-4"},
		"list":       []any{map[any]any{"token": "SECRET-5"}},
		"bucket":     "b",
		"n":          3,
	}
	r := Redact(o)
	text := strings.ToLower(strings.Join(flatten(r), " "))
	for _, s := range []string{"hunter2", "akia", "secret-2", "secret-3", "secret-4", "secret-5"} {
		if strings.Contains(text, s) {
			t.Fatalf("Redact leaks %q: %v", s, r)
		}
	}
	if r["bucket"] != "b" || r["n"] != 3 || r["access_key"] != Redacted || !strings.Contains(r["url"].(string), "minio:9000") {
		t.Fatalf("Redact = %v", r)
	}
	if o["access_key"] != "AKIA-SECRET-1" {
		t.Fatal("Redact changed its input")
	}
}

func flatten(v any) []string {
	switch x := v.(type) {
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, k)
			out = append(out, flatten(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	case string:
		return []string{x}
	}
	return nil
}

// Do after Close refuses with ErrClosed; runtime changes too.
func TestDoAndChangesAfterClose(t *testing.T) {
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	sock, _ := storetest.ServerSocket(t, zctx)
	ctx := testCtx(t)
	srv, err := NewServer(ctx, Options{Socket: sock, Storages: []Storage{mem("base", "base/**", "")}, Logger: quiet})
	must(t, err)
	// Do needs no Serve: it runs on the caller's goroutine.
	must(t, srv.Do(ctx, proto.Message{Kind: proto.KindPut, Key: "base/a", Value: []byte("x")}, nil))
	must(t, srv.Close(ctx))
	err = srv.Do(ctx, proto.Message{Kind: proto.KindPut, Key: "base/a", Value: []byte("x")}, nil)
	if !errors.Is(err, ErrClosed) || !errors.Is(err, proto.StatusUnavailable) {
		t.Fatalf("Do after Close: %v", err)
	}
	if err := srv.AddStorage(ctx, StorageConfig{Name: "x", KeyExpr: "x/**", Volume: "memory"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddStorage after Close: %v", err)
	}
}

// A query whose caller stops reading (its reply function fails) is not
// the backend's failure: the storage stays healthy.
func TestCallerErrorsAreNotBackendFailures(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", "")}}})
	ctx := testCtx(t)
	for _, k := range []string{"base/a", "base/b"} {
		must(t, f.cli.Put(ctx, k, []byte("x")))
	}
	gone := errors.New("client went away")
	err := f.srv.Do(ctx, proto.Message{Kind: proto.KindQuery, Key: "base/**"}, func(proto.Message) error { return gone })
	if err == nil {
		t.Fatal("a query whose reply failed succeeded")
	}
	// Bad input reaches the store and is refused there: not a failure either.
	var wg sync.WaitGroup
	wg.Go(func() {
		f.srv.Do(ctx, proto.Message{Kind: proto.KindPut, Key: "base/c", Value: []byte("x"), Encoding: strings.Repeat("e", 2000)}, nil)
	})
	wg.Wait()
	if h := f.srv.Health(); !h.Healthy || h.Storages["base"].Failures != 0 {
		t.Fatalf("health %+v", h)
	}
}

// TestRuntimeVolumeOutsideVolumeRoot: an fs volume added at run time must
// lie under Options.VolumeRoot (symbolic links resolved); without one, no
// fs volume can be added at run time. Memory volumes are not concerned.
func TestRuntimeVolumeOutsideVolumeRoot(t *testing.T) {
	volRoot := t.TempDir()
	outside := t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(volRoot, "escape")))
	f := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", "")}, VolumeRoot: volRoot}})
	ctx := testCtx(t)
	for _, root := range []string{outside, filepath.Join(volRoot, ".."), filepath.Join(volRoot, "escape", "x"), "relative/dir"} {
		for _, opts := range []backend.Options{{"root": root}, {"root": root, "sync": "window"}} {
			for _, kind := range []string{"fs", "engine"} {
				if kind == "fs" && len(opts) > 1 {
					continue
				}
				err := f.srv.AddVolume(ctx, VolumeConfig{Name: "v", Kind: kind, Options: opts})
				if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "volume root") {
					t.Errorf("AddVolume %s with %v: %v, want ErrForbidden naming the volume root", kind, opts, err)
				}
			}
		}
	}
	// Whatever the kind and its other options: a root is a local directory.
	for _, cfg := range []VolumeConfig{
		{Name: "v", Kind: "fs", Options: backend.Options{"root": outside, "on_closure": "delete_all"}},
		{Name: "v", Kind: "some-future-kind", Options: backend.Options{"root": outside, "cache": "1GiB"}},
	} {
		if err := f.srv.AddVolume(ctx, cfg); !errors.Is(err, ErrForbidden) {
			t.Errorf("AddVolume %+v: %v, want ErrForbidden", cfg, err)
		}
	}
	must(t, f.srv.AddVolume(ctx, VolumeConfig{Name: "in-engine", Kind: "engine", Options: backend.Options{"root": filepath.Join(volRoot, "e")}}))
	must(t, f.srv.AddVolume(ctx, VolumeConfig{Name: "in", Kind: "fs", Options: backend.Options{"root": filepath.Join(volRoot, "a", "b")}}))
	must(t, f.srv.AddVolume(ctx, VolumeConfig{Name: "m", Kind: "memory"}))

	g := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", "")}}})
	if err := g.srv.AddVolume(ctx, VolumeConfig{Name: "v", Kind: "fs", Options: backend.Options{"root": volRoot}}); !errors.Is(err, ErrForbidden) {
		t.Errorf("AddVolume without a volume root: %v, want ErrForbidden", err)
	}
}

// TestDeleteAllKeepsForeignFiles: removing a storage with on_closure:
// delete_all on an fs volume whose directory holds a file the store did
// not write deletes the store's entries and keeps that file and its
// directory.
func TestDeleteAllKeepsForeignFiles(t *testing.T) {
	volRoot := t.TempDir()
	f := start(t, setup{opts: Options{Storages: []Storage{mem("base", "base/**", "")}, VolumeRoot: volRoot}})
	ctx := testCtx(t)
	dir := filepath.Join(volRoot, "disk", "files")
	must(t, os.MkdirAll(filepath.Join(dir, "mine"), 0o755))
	foreign := filepath.Join(dir, "mine", "precious.txt")
	must(t, os.WriteFile(foreign, []byte("not the store's"), 0o644))
	must(t, f.srv.AddVolume(ctx, VolumeConfig{Name: "disk", Kind: "fs", Options: backend.Options{"root": filepath.Join(volRoot, "disk")}}))
	must(t, f.srv.AddStorage(ctx, StorageConfig{Name: "files", KeyExpr: "files/**", StripPrefix: "files", Volume: "disk",
		Options: backend.Options{"on_closure": "delete_all"}}))
	for _, k := range []string{"files/a", "files/b/c", "files/mine/d"} {
		must(t, f.cli.Put(ctx, k, []byte("v")))
	}
	must(t, f.srv.RemoveStorage(ctx, "files"))
	if b, err := os.ReadFile(foreign); err != nil || string(b) != "not the store's" {
		t.Fatalf("the foreign file after delete_all: %q, %v", b, err)
	}
	var left []string
	must(t, filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		left = append(left, filepath.ToSlash(rel))
		return err
	}))
	if want := []string{".", "mine", "mine/precious.txt"}; !slices.Equal(left, want) {
		t.Fatalf("left after delete_all: %q, want %q (the store's entries gone, the foreign file kept)", left, want)
	}
}
