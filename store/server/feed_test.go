package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

// watchReady returns a watcher that has provably joined: it puts probe
// keys until one comes through (a radio drops what it publishes before a
// dish's JOIN arrives), then drains the probes.
func watchReady(t *testing.T, f *fixture, ke, probeKey string) *store.Watcher {
	t.Helper()
	ctx := testCtx(t)
	w, err := f.cli.Watch(ctx, ke)
	must(t, err)
	t.Cleanup(func() { w.Close() })
	for i := 0; ; i++ {
		must(t, f.cli.Put(ctx, probeKey, []byte("probe")))
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		ch, err := w.Next(short)
		cancel()
		if err == nil {
			if ch.Key != probeKey {
				t.Fatalf("first change %+v, want the probe", ch)
			}
			break
		}
		if i > 200 {
			t.Fatal("the watcher never joined the feed")
		}
	}
	must(t, f.cli.Delete(ctx, probeKey))
	for {
		ch, err := w.Next(ctx)
		must(t, err)
		if ch.Key == probeKey && ch.Deleted {
			return w
		}
	}
}

func TestChangeFeed(t *testing.T) {
	f := start(t, setup{feed: true, opts: Options{Storages: []Storage{
		mem("demo", "demo/**", "demo"), mem("other", "other/**", ""),
	}}})
	ctx := testCtx(t)
	w := watchReady(t, f, "demo/**", "demo/probe")

	must(t, f.cli.Put(ctx, "other/x", []byte("not watched")))
	must(t, f.cli.Put(ctx, "demo/a", []byte("1"), store.WithEncoding("text/plain")))
	putAt(t, f.cli, "demo/a", "stale", ts(time.Second, 1)) // loses: not applied, not published
	must(t, f.cli.Put(ctx, "demo/b/c", []byte("2")))
	must(t, f.cli.Delete(ctx, "demo/a"))
	must(t, f.cli.Put(ctx, "demo", []byte("root")))
	must(t, f.cli.Delete(ctx, "demo/**")) // one delete per key it removes

	stored, err := f.cli.Get(ctx, "demo/b/c") // gone by now; the feed says when
	must(t, err)
	if len(stored) != 0 {
		t.Fatalf("demo/b/c still stored: %v", stored)
	}
	var got []string
	var last uint64
	for len(got) < 6 {
		ch, err := w.Next(ctx)
		must(t, err)
		if ch.Storage != "demo" {
			t.Fatalf("change from storage %q", ch.Storage)
		}
		if ch.Missed != 0 || (last != 0 && ch.Seq != last+1) {
			t.Fatalf("sequence %d after %d, missed %d", ch.Seq, last, ch.Missed)
		}
		if ch.Timestamp.IsZero() {
			t.Fatal("a change without timestamp")
		}
		last = ch.Seq
		if ch.Deleted {
			got = append(got, "DEL "+ch.Key)
		} else {
			got = append(got, fmt.Sprintf("PUT %s=%s (%s)", ch.Key, ch.Value, ch.Encoding))
		}
	}
	want := []string{"PUT demo/a=1 (text/plain)", "PUT demo/b/c=2 ()", "DEL demo/a", "PUT demo=root ()"}
	if !slices.Equal(got[:4], want) {
		t.Fatalf("changes %q, want %q first", got, want)
	}
	tail := slices.Sorted(slices.Values(got[4:]))
	if !slices.Equal(tail, []string{"DEL demo", "DEL demo/b/c"}) {
		t.Fatalf("the wildcard delete published %q", got[4:])
	}
	must(t, w.Close())
	if _, err := w.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
}

// Many writers of one key: the feed carries that key's changes in
// timestamp order (each published after it was stored, under the key's
// lock), so the last change a watcher sees is what the store holds.
func TestChangeFeedOrderPerKey(t *testing.T) {
	f := start(t, setup{feed: true, opts: Options{Storages: []Storage{mem("s", "**", "")}}})
	ctx := testCtx(t)
	w := watchReady(t, f, "hot", "hot")
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				err = f.cli.Put(ctx, "hot", fmt.Appendf(nil, "%d-%d", g, i))
			}
			errs <- err
		}()
	}
	for range 8 {
		must(t, <-errs)
	}
	stored, err := f.cli.Get(ctx, "hot")
	must(t, err)
	var prev hlc.Timestamp
	for {
		ch, err := w.Next(ctx)
		must(t, err)
		if ch.Timestamp.Compare(prev) <= 0 {
			t.Fatalf("change at %v after one at %v", ch.Timestamp, prev)
		}
		prev = ch.Timestamp
		if ch.Timestamp == stored[0].Timestamp {
			if string(ch.Value) != string(stored[0].Value) {
				t.Fatalf("the last change says %q, the store %q", ch.Value, stored[0].Value)
			}
			return
		}
	}
}

// A radio drops samples for a watcher that does not keep up; the watcher
// learns how many from the sequence numbers.
func TestChangeFeedReportsDroppedSamples(t *testing.T) {
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	f := start(t, setup{feed: true, feedOpts: socket.Options{SendHWM: 10},
		opts: Options{Storages: []Storage{mem("s", "**", "")}}})
	ctx := testCtx(t)
	// A watcher with a tiny queue: the dish stops reading when it is full,
	// the TCP buffers fill up, and the radio's small queue overflows.
	cli, err := store.Connect(f.ep, store.ClientOptions{Ctx: zctx, Logger: quiet, Socket: socket.Options{RecvHWM: 5}})
	must(t, err)
	defer cli.Close()
	w, err := cli.Watch(ctx, "**")
	must(t, err)
	defer w.Close()
	// Wait until the watcher has joined.
	var first uint64
	for first == 0 {
		must(t, f.cli.Put(ctx, "probe", nil))
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		ch, err := w.Next(short)
		cancel()
		if err == nil {
			first = ch.Seq
		}
	}
	const n = 5000
	value := make([]byte, 8<<10)
	for i := range n {
		must(t, f.cli.Put(ctx, fmt.Sprint("k", i), value))
	}
	// Markers until one comes through: they may be dropped as well.
	received, seen, missed, last := 0, 0, uint64(0), uint64(0)
	for last == 0 {
		must(t, f.cli.Put(ctx, "end", nil))
		for {
			short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			ch, err := w.Next(short)
			cancel()
			if err != nil {
				break // nothing for a while: send another marker
			}
			received++
			missed += ch.Missed
			if ch.Key != "probe" && ch.Key != "end" {
				seen++
			}
			if ch.Key == "end" {
				last = ch.Seq
				break
			}
		}
	}
	if missed == 0 || seen == n {
		t.Fatalf("no loss reported, though %d of %d changes arrived", seen, n)
	}
	// Every sample after the first is either received or reported missing.
	if uint64(received)+missed != last-first {
		t.Fatalf("%d received + %d reported missing, but %d samples were published", received, missed, last-first)
	}
}

func TestWatchErrors(t *testing.T) {
	ctx := testCtx(t)
	f := start(t, setup{opts: Options{Storages: []Storage{mem("s", "demo/**", "")}}})
	if _, err := f.cli.Watch(ctx, "demo/**"); err == nil {
		t.Fatal("Watch on a server without a feed succeeded")
	}
	g := start(t, setup{feed: true, opts: Options{Storages: []Storage{mem("s", "demo/**", "")}}})
	_, err := g.cli.Watch(ctx, "other/**")
	wantStatus(t, err, proto.StatusNoStorage)
	if _, err := g.cli.Watch(ctx, "a//b"); err == nil {
		t.Fatal("Watch on an invalid key expression succeeded")
	}
}

// Loaders scatter bulk puts over a pool of servers' GATHER sockets; they
// learn the puts landed by querying for their keys and timestamps.
func TestBulkIngestScatterToGather(t *testing.T) {
	ctx := testCtx(t)
	var pool []*fixture
	scatter, err := patterns.NewScatter(nil, socket.Options{Linger: time.Second})
	must(t, err)
	defer scatter.Close()
	for range 2 {
		f := start(t, setup{ingest: true, opts: Options{Storages: []Storage{mem("bulk", "bulk/**", "bulk")}}})
		pool = append(pool, f)
		must(t, scatter.Connect(f.srv.Info().Ingest[0]))
	}
	// Wait for both links, so the round-robin spreads over both servers.
	deadline := time.Now().Add(10 * time.Second)
	mon := scatter.Monitor()
	for up := 0; up < 2; {
		select {
		case e := <-mon:
			if e.Type == socket.EventHandshakeSucceeded {
				up++
			}
		case <-time.After(time.Until(deadline)):
			t.Fatal("the scatter socket never connected to both servers")
		}
	}
	loader := hlc.NewClock(hlc.NewID())
	const n = 2000
	stamps := map[string]hlc.Timestamp{}
	for i := range n {
		key := fmt.Sprintf("bulk/item/%d", i)
		stamps[key] = loader.Now()
		must(t, scatter.Send(ctx, encode(t, proto.Message{Kind: proto.KindPut, Key: key,
			Encoding: "text/plain", Timestamp: stamps[key], Value: []byte(key)})))
	}
	// Bad ones are dropped and counted, not answered.
	bad := [][]byte{
		encode(t, proto.Message{Kind: proto.KindPut, Key: "bulk/*", Value: []byte("x")}),
		encode(t, proto.Message{Kind: proto.KindDelete, Key: "bulk/item/1"}),
		{1, 1, 0},
	}
	for _, b := range bad {
		for range len(pool) { // round-robin: every server gets each
			must(t, scatter.Send(ctx, b))
		}
	}
	// A loader's check: query until every key is there with its stamp.
	var total int
	for time.Now().Before(deadline.Add(20 * time.Second)) {
		total = 0
		for _, f := range pool {
			got, err := f.cli.Get(ctx, "bulk/item/**")
			must(t, err)
			for _, s := range got {
				if s.Timestamp != stamps[s.Key] || string(s.Value) != s.Key {
					t.Fatalf("%s: stored %q at %v, sent at %v", s.Key, s.Value, s.Timestamp, stamps[s.Key])
				}
			}
			total += len(got)
		}
		rejected := pool[0].srv.Stats().IngestRejected + pool[1].srv.Stats().IngestRejected
		if total == n && rejected == uint64(len(bad)*len(pool)) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if total != n {
		t.Fatalf("%d of %d bulk puts landed", total, n)
	}
	// SCATTER sends round-robin but skips a peer at its high-water mark, so
	// the shares are not exact: each server got some, and the sums add up.
	var ingested, rejected uint64
	for i, f := range pool {
		st := f.srv.Stats()
		if st.Ingested == 0 {
			t.Fatalf("server %d got no bulk puts: %+v", i, st)
		}
		ingested += st.Ingested
		rejected += st.IngestRejected
	}
	if ingested != n || rejected != uint64(len(bad)*len(pool)) {
		t.Fatalf("%d ingested and %d rejected, want %d and %d", ingested, rejected, n, len(bad)*len(pool))
	}
}

// ClientOptions.Feed names the feed's endpoints instead of the server's
// answer (for a feed behind a proxy, or over udp).
func TestWatchWithExplicitFeed(t *testing.T) {
	f := start(t, setup{feed: true, opts: Options{Storages: []Storage{mem("s", "**", "")}}})
	cli, err := store.Connect(f.ep, store.ClientOptions{Ctx: f.zctx, Logger: quiet, Feed: []string{f.feed}})
	must(t, err)
	defer cli.Close()
	g := &fixture{t: t, zctx: f.zctx, srv: f.srv, cli: cli, ep: f.ep}
	w := watchReady(t, g, "x/**", "x/probe")
	must(t, cli.Put(testCtx(t), "x/a", []byte("1")))
	ch, err := w.Next(testCtx(t))
	must(t, err)
	if ch.Key != "x/a" || string(ch.Value) != "1" {
		t.Fatalf("change %+v", ch)
	}
}
