package server

import (
	"testing"
	"time"

	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

func TestLastWriterWinsByTimestamp(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	putAt(t, f.cli, "k", "two", ts(2*time.Second, 1))
	// An older put is acknowledged (last writer wins is the semantics, not
	// an error) but changes nothing.
	putAt(t, f.cli, "k", "one", ts(time.Second, 1))
	// Same time and counter: the source breaks the tie.
	putAt(t, f.cli, "k", "two-b", ts(2*time.Second, 2))
	putAt(t, f.cli, "k", "two-a", ts(2*time.Second, 0))
	got, err := f.cli.Get(ctx, "k")
	must(t, err)
	if len(got) != 1 || string(got[0].Value) != "two-b" || got[0].Timestamp != ts(2*time.Second, 2) {
		t.Fatalf("got %+v, want two-b at its timestamp", got)
	}
	// A replay of the winning write is harmless.
	putAt(t, f.cli, "k", "two-b", ts(2*time.Second, 2))
	f.wantKV("k", "k=two-b") // after the replay
}

func TestServerStampsWritesInArrivalOrder(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	for i := range 50 {
		must(t, f.cli.Put(ctx, "seq", []byte{byte(i)}))
	}
	got, err := f.cli.Get(ctx, "seq")
	must(t, err)
	if len(got) != 1 || got[0].Value[0] != 49 {
		t.Fatalf("got %+v, want the last put", got)
	}
	if got[0].Timestamp.Source != f.srv.Clock().ID() {
		t.Fatalf("stamped by %v, want the server's clock %v", got[0].Timestamp.Source, f.srv.Clock().ID())
	}
}

func TestTombstoneBlocksOlderPut(t *testing.T) {
	f := startOne(t)
	putAt(t, f.cli, "k", "v1", ts(1*time.Second, 1))
	deleteAt(t, f.cli, "k", ts(3*time.Second, 1))
	// A put older than the delete, arriving late: ignored.
	putAt(t, f.cli, "k", "v2", ts(2*time.Second, 1))
	f.wantKV("k") // no older put resurrects the key
	// Deleting a key that never existed leaves a tombstone too.
	deleteAt(t, f.cli, "never", ts(3*time.Second, 1))
	putAt(t, f.cli, "never", "late", ts(2*time.Second, 1))
	f.wantKV("never") // no older put gets past the tombstone of an absent key
	// A newer put wins over the tombstone.
	putAt(t, f.cli, "k", "v3", ts(4*time.Second, 1))
	f.wantKV("k", "k=v3")
}

func TestTombstonesCollectedAfterLifespan(t *testing.T) {
	st := mem("s", "**", "")
	// The test timestamps are an hour or two old: with a lifespan of 30
	// minutes their tombstones are due.
	st.TombstoneLifespan = 30 * time.Minute
	f := start(t, setup{opts: Options{Storages: []Storage{st, mem("young", "young/**", "")}}})
	ctx := testCtx(t)
	deleteAt(t, f.cli, "k", ts(3*time.Second, 1))
	must(t, f.cli.Delete(ctx, "young/k")) // stamped now: kept for 24 hours
	n, err := f.srv.CollectGarbage(ctx)
	must(t, err)
	if n != 1 {
		t.Fatalf("collected %d tombstones, want 1", n)
	}
	if _, ok := entries(t, st.Store)["k"]; ok {
		t.Fatal("the old tombstone is still there")
	}
	if e := entries(t, f.srv.cur.Load().storages[1].Store)["young/k"]; !e.Deleted {
		t.Fatal("the young tombstone was collected")
	}
	// Once collected, the tombstone no longer blocks an older put: that is
	// what the lifespan trades off, so it must be longer than any delay.
	putAt(t, f.cli, "k", "old", ts(2*time.Second, 1))
	f.wantKV("k", "k=old")
}

func TestGarbageCollectionLoopRuns(t *testing.T) {
	st := mem("s", "**", "")
	st.TombstoneLifespan = 30 * time.Minute
	st.GCPeriod = 10 * time.Millisecond
	f := start(t, setup{opts: Options{Storages: []Storage{st}}})
	deleteAt(t, f.cli, "k", ts(3*time.Second, 1))
	deadline := time.Now().Add(10 * time.Second)
	for f.srv.Stats().TombstonesCollected == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background loop collected nothing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, ok := entries(t, st.Store)["k"]; ok {
		t.Fatal("the tombstone is still there")
	}
}

func TestTimestampDrift(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	future := hlc.Timestamp{Time: time.Now().Add(time.Hour).UnixNano(), Source: hlc.ID{9}}
	wantStatus(t, f.cli.Put(ctx, "k", []byte("x"), store.WithTimestamp(future)), proto.StatusTimestampDrift)
	wantStatus(t, f.cli.Delete(ctx, "k", store.WithTimestamp(future)), proto.StatusTimestampDrift)
	wantStatus(t, f.cli.Delete(ctx, "k/**", store.WithTimestamp(future)), proto.StatusTimestampDrift)
	f.wantKV("**") // a refused write is not stored
	// Within the drift: accepted, and the server's clock moves past it.
	near := hlc.Timestamp{Time: time.Now().Add(100 * time.Millisecond).UnixNano(), Source: hlc.ID{9}}
	must(t, f.cli.Put(ctx, "k", []byte("near"), store.WithTimestamp(near)))
	must(t, f.cli.Put(ctx, "k", []byte("after"))) // stamped by the server: must win
	f.wantKV("k", "k=after")                      // the server's stamp does not lose to an earlier write

	// The check can be turned off.
	g := start(t, setup{opts: Options{MaxDrift: -1, Storages: []Storage{mem("s", "**", "")}}})
	must(t, g.cli.Put(ctx, "k", []byte("x"), store.WithTimestamp(future)))
}
