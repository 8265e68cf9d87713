package server

import (
	"slices"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/fs"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/proto"
)

func TestWildcardDelete(t *testing.T) {
	demo := mem("demo", "demo/**", "demo")
	f := start(t, setup{opts: Options{Storages: []Storage{demo, mem("rest", "**", "")}}})
	ctx := testCtx(t)
	for _, k := range []string{"demo", "demo/a", "demo/b", "demo/c/d", "demo/c/e", "other/x"} {
		must(t, f.cli.Put(ctx, k, []byte("v")))
	}
	must(t, f.cli.Delete(ctx, "demo/*"))
	f.wantKV("**", "demo=v", "demo/c/d=v", "demo/c/e=v", "other/x=v") // after deleting demo/*
	must(t, f.cli.Delete(ctx, "demo/**/e"))
	f.wantKV("**", "demo=v", "demo/c/d=v", "other/x=v") // after deleting demo/**/e
	must(t, f.cli.Delete(ctx, "demo/**"))               // includes the prefix key itself
	f.wantKV("**", "other/x=v")                         // after deleting demo/**
	// Tombstones, not removals: an older put stays out.
	for k, e := range entries(t, demo.Store) {
		if !internal(k) && !e.Deleted {
			t.Fatalf("demo store still holds %q", k)
		}
	}
	// A wildcard delete that matches nothing is fine.
	must(t, f.cli.Delete(ctx, "nothing/here/**"))
	// One no storage reaches is refused.
	g := start(t, setup{opts: Options{Storages: []Storage{mem("demo", "demo/**", "")}}})
	wantStatus(t, g.cli.Delete(ctx, "other/**"), proto.StatusNoStorage)
}

// A wildcard delete must also keep out an older put of a key that did not
// exist when it ran (zenoh#2649), and a newer write of a key it deleted
// must still win.
func TestWildcardDeleteShadowsLateOlderPuts(t *testing.T) {
	f := startOne(t)
	putAt(t, f.cli, "late/old", "v", ts(1*time.Second, 1))
	deleteAt(t, f.cli, "late/**", ts(5*time.Second, 1))
	putAt(t, f.cli, "late/new", "delayed", ts(3*time.Second, 1))
	putAt(t, f.cli, "late/deep/er", "delayed", ts(4*time.Second, 1))
	putAt(t, f.cli, "elsewhere", "kept", ts(3*time.Second, 1))
	f.wantKV("**", "elsewhere=kept") // no older put gets past the wildcard delete
	putAt(t, f.cli, "late/new", "newer", ts(6*time.Second, 1))
	f.wantKV("late/**", "late/new=newer") // a newer put does not lose to it
}

// The retained wildcard delete lives in the store: a restarted server
// still applies it, and garbage collection removes it after the lifespan.
func TestWildcardDeleteSurvivesRestartAndIsCollected(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	open := func(lifespan time.Duration) *fixture {
		s, err := fs.Open(dir)
		must(t, err)
		st := Storage{Name: "s", KeyExpr: "**", Store: s, TombstoneLifespan: lifespan}
		return start(t, setup{opts: Options{Storages: []Storage{st}}})
	}
	f := open(0)
	deleteAt(t, f.cli, "late/**", ts(5*time.Second, 1))
	f.cli.Close()
	must(t, f.srv.Close(ctx))

	g := open(30 * time.Minute) // the test timestamps are older than that
	putAt(t, g.cli, "late/new", "delayed", ts(3*time.Second, 1))
	if got := g.getKV("**"); len(got) != 0 {
		t.Fatalf("after a restart an older put got past the wildcard delete: %q", got)
	}
	_, err := g.srv.CollectGarbage(ctx)
	must(t, err)
	for k := range entries(t, g.srv.cur.Load().storages[0].Store) {
		t.Fatalf("the store still holds %q after garbage collection", k)
	}
	putAt(t, g.cli, "late/new", "delayed", ts(3*time.Second, 1))
	if got := g.getKV("**"); !slices.Equal(got, []string{"late/new=delayed"}) {
		t.Fatalf("the collected wildcard delete still shadows: %q", got)
	}
}

func TestReadOnlyStorage(t *testing.T) {
	ctx := testCtx(t)
	archive := memory.New()
	seed := backend.Entry{Key: "old", Value: []byte("kept"), Timestamp: ts(time.Second, 1)}
	if _, err := archive.Apply(ctx, seed); err != nil {
		t.Fatal(err)
	}
	ro := Storage{Name: "archive", KeyExpr: "archive/**", StripPrefix: "archive", Store: archive, ReadOnly: true}
	both := mem("all", "**", "")
	f := start(t, setup{opts: Options{Storages: []Storage{ro, both}}})

	// Reached only by the read-only storage... and the catch-all: the put
	// lands in the writable one.
	must(t, f.cli.Put(ctx, "archive/new", []byte("x")))
	if _, ok := entries(t, archive)["new"]; ok {
		t.Fatal("a read-only store was written")
	}
	g := start(t, setup{opts: Options{Storages: []Storage{ro}}})
	for _, err := range []error{
		g.cli.Put(ctx, "archive/new", []byte("x")),
		g.cli.Delete(ctx, "archive/old"),
		g.cli.Delete(ctx, "archive/**"),
	} {
		wantStatus(t, err, proto.StatusReadOnly)
	}
	if got := g.getKV("archive/**"); !slices.Equal(got, []string{"archive/old=kept"}) {
		t.Fatalf("query on a read-only storage: %q", got)
	}
	if got := entries(t, archive); len(got) != 1 {
		t.Fatalf("the read-only store changed: %v", got)
	}
}

// A store opened read-only by its volume refuses by itself: the refusal
// reaches the client with the same status.
func TestReadOnlyVolumeStore(t *testing.T) {
	ctx := testCtx(t)
	v := memory.NewVolume()
	st, err := v.Open(ctx, "s", backend.StorageConfig{ReadOnly: true})
	must(t, err)
	f := start(t, setup{opts: Options{Storages: []Storage{{Name: "s", KeyExpr: "**", Store: st}}, Volumes: []backend.Volume{v}}})
	wantStatus(t, f.cli.Put(ctx, "k", []byte("x")), proto.StatusReadOnly)
}

// Two servers on one store (the same backend behind both) converge on the
// newest write, whichever server took it and in whatever order.
func TestTwoServersOnOneStoreConverge(t *testing.T) {
	ctx := testCtx(t)
	shared := memory.New()
	zctx := socket.NewCtx(quiet)
	t.Cleanup(func() { zctx.Close() })
	var servers []*fixture
	for range 2 {
		// Each server has its own clock; the store is shared. Closing one
		// server closes the store, so the first to close waits for the
		// other (Close is idempotent).
		servers = append(servers, start(t, setup{zctx: zctx,
			opts: Options{Storages: []Storage{{Name: "shared", KeyExpr: "**", Store: shared}}}}))
	}
	a, b := servers[0], servers[1]
	// Explicit timestamps, written in shuffled order across the servers.
	writes := []struct {
		via   *fixture
		key   string
		value string
		at    time.Duration
		del   bool
	}{
		{b, "k1", "b3", 3 * time.Second, false},
		{a, "k1", "a2", 2 * time.Second, false},
		{a, "k1", "a4", 4 * time.Second, false},
		{b, "k1", "b1", 1 * time.Second, false},
		{a, "k2", "a5", 5 * time.Second, false},
		{b, "k2", "", 6 * time.Second, true},
		{a, "k2", "a5b", 5500 * time.Millisecond, false},
		{b, "k3", "b1", 1 * time.Second, false},
	}
	for _, w := range writes {
		if w.del {
			deleteAt(t, w.via.cli, w.key, ts(w.at, 7))
		} else {
			putAt(t, w.via.cli, w.key, w.value, ts(w.at, 7))
		}
	}
	want := []string{"k1=a4", "k3=b1"}
	for _, f := range servers {
		if got := f.getKV("**"); !slices.Equal(got, want) {
			t.Fatalf("server %s answers %q, want %q", f.ep, got, want)
		}
	}
	// Server-stamped writes through both: both answer the same, newest, one.
	for i := range 20 {
		via := servers[i%2]
		must(t, via.cli.Put(ctx, "race", []byte{byte('a' + i)}))
	}
	ga, err := a.cli.Get(ctx, "race")
	must(t, err)
	gb, err := b.cli.Get(ctx, "race")
	must(t, err)
	if len(ga) != 1 || len(gb) != 1 || string(ga[0].Value) != string(gb[0].Value) || ga[0].Timestamp != gb[0].Timestamp {
		t.Fatalf("the servers disagree: %+v vs %+v", ga, gb)
	}
	if string(ga[0].Value) != "t" {
		t.Fatalf("the newest sequential write lost: got %q", ga[0].Value)
	}
}
