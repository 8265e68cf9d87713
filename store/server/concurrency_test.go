package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/proto"
)

// 64 goroutines share one store.Client and run random puts, gets, deletes,
// wildcard gets and wildcard deletes, each on its own keys, so each can
// check every answer exactly against its own model.
func TestSixtyFourGoroutinesShareOneClient(t *testing.T) {
	sixtyFourGoroutines(t, start(t, setup{opts: Options{Storages: []Storage{mem("c", "c/**", "c"), mem("all", "**", "")}}}))
}

// The same on one engine storage with a change feed: the PUTs queued
// together go in batches (handleBatch), each still answered and checked
// on its own.
func TestSixtyFourGoroutinesShareOneClientEngine(t *testing.T) {
	sixtyFourGoroutines(t, start(t, setup{feed: true, opts: Options{Storages: []Storage{engineStorage(t, "all", "**")}}}))
}

// engineStorage returns a storage on a fresh engine store, closed when
// the test ends.
func engineStorage(t *testing.T, name, ke string) Storage {
	st, err := engine.Open(engine.Config{Root: t.TempDir(), MinFreeSpace: -1})
	must(t, err)
	t.Cleanup(func() { st.Close(context.Background()) })
	return Storage{Name: name, KeyExpr: ke, Store: st, Volume: "engine"}
}

// Concurrent PUTs of a few keys with their own timestamps, many queued at
// once, on an engine storage (so in batches): every one is answered, and
// each key ends with the value of its newest timestamp.
func TestBatchedPutsLastWriterWins(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{engineStorage(t, "all", "**")}}})
	const goroutines, puts, keys = 32, 40, 4
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for range puts {
				n := rng.IntN(1000) + 1
				at := ts(time.Duration(n)*time.Millisecond, byte(g))
				if err := f.cli.Put(testCtx(t), fmt.Sprintf("lww/%d", rng.IntN(keys)), []byte(fmt.Sprintf("%d-%d", n, g)), store.WithTimestamp(at)); err != nil {
					t.Errorf("goroutine %d: put: %v", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The newest of each key, computed again from the same sequences.
	newest := map[string]struct {
		n int
		g int
	}{}
	for g := range goroutines {
		rng := rand.New(rand.NewPCG(uint64(g), 2))
		for range puts {
			n := rng.IntN(1000) + 1
			key := fmt.Sprintf("lww/%d", rng.IntN(keys))
			if w, ok := newest[key]; !ok || n > w.n || n == w.n && g > w.g {
				newest[key] = struct{ n, g int }{n, g}
			}
		}
	}
	var want []string
	for k, w := range newest {
		want = append(want, fmt.Sprintf("%s=%d-%d", k, w.n, w.g))
	}
	sort.Strings(want)
	f.wantKV("lww/*", want...)
}

// sixtyFourGoroutines runs TestSixtyFourGoroutinesShareOneClient's load on f.
func sixtyFourGoroutines(t *testing.T, f *fixture) {
	ctx := testCtx(t)
	const goroutines, ops = 64, 150
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			model := map[string]string{}
			prefix := fmt.Sprintf("c/%d", g)
			check := func(what string, got []store.Sample, want []string) bool {
				if !slices.Equal(kv(got), want) {
					t.Errorf("goroutine %d: %s = %q, want %q", g, what, kv(got), want)
					return false
				}
				return true
			}
			for i := range ops {
				key := fmt.Sprintf("%s/%s/%d", prefix, []string{"x", "y"}[rng.IntN(2)], rng.IntN(8))
				switch op := rng.IntN(10); {
				case op < 4:
					v := fmt.Sprintf("%d-%d", g, i)
					if err := f.cli.Put(ctx, key, []byte(v)); err != nil {
						t.Errorf("goroutine %d: put: %v", g, err)
						return
					}
					model[key] = v
				case op < 6:
					got, err := f.cli.Get(ctx, key)
					var want []string
					if v, ok := model[key]; ok {
						want = []string{key + "=" + v}
					}
					if err != nil || !check("get "+key, got, want) {
						t.Errorf("goroutine %d: get: %v", g, err)
						return
					}
				case op < 8:
					if err := f.cli.Delete(ctx, key); err != nil {
						t.Errorf("goroutine %d: delete: %v", g, err)
						return
					}
					delete(model, key)
				case op < 9:
					got, err := f.cli.Get(ctx, prefix+"/**")
					var want []string
					for k, v := range model {
						want = append(want, k+"="+v)
					}
					sort.Strings(want)
					if err != nil || !check("get "+prefix+"/**", got, want) {
						t.Errorf("goroutine %d: wildcard get: %v", g, err)
						return
					}
				default:
					if err := f.cli.Delete(ctx, prefix+"/x/*"); err != nil {
						t.Errorf("goroutine %d: wildcard delete: %v", g, err)
						return
					}
					for k := range model {
						if k[len(prefix)+1] == 'x' {
							delete(model, k)
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// gated is a store whose scans of user keys wait for release (or their
// context): a stand-in for a slow backend. The server's own scan at start
// (of retained wildcard deletes) goes through.
type gated struct {
	backend.Store
	entered chan struct{}
	release chan struct{}
}

func newGated() *gated {
	return &gated{Store: memory.New(), entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gated) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	if internal(prefix) {
		return g.Store.Scan(ctx, prefix, mode, fn)
	}
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Store.Scan(ctx, prefix, mode, fn)
}

func TestSlowQueryDoesNotBlockWrites(t *testing.T) {
	slow := newGated()
	f := start(t, setup{opts: Options{Workers: 2, Storages: []Storage{
		{Name: "slow", KeyExpr: "slow/**", Store: slow}, mem("fast", "fast/**", ""),
	}}})
	ctx := testCtx(t)
	must(t, f.cli.Put(ctx, "slow/k", []byte("v")))

	// More stuck wildcard queries than there are request workers.
	type result struct {
		got []string
		err error
	}
	results := make(chan result, 4)
	for range 4 {
		go func() {
			got, err := f.cli.Get(ctx, "slow/**")
			results <- result{kv(got), err}
		}()
	}
	for range min(4, DefaultQueryWorkers) {
		<-slow.entered
	}
	// Writes, and reads of one key, on the same storage and others, go on.
	for i := range 100 {
		must(t, f.cli.Put(ctx, fmt.Sprintf("fast/%d", i), []byte("v")))
		must(t, f.cli.Put(ctx, "slow/k", []byte(fmt.Sprint(i))))
		f.wantKV("slow/k", "slow/k="+fmt.Sprint(i))
	}
	select {
	case r := <-results:
		t.Fatalf("a wildcard query finished while its store was stuck: %v", r)
	default:
	}
	close(slow.release)
	for range 4 {
		r := <-results
		if r.err != nil || !slices.Equal(r.got, []string{"slow/k=99"}) {
			t.Fatalf("wildcard query: %q %v", r.got, r.err)
		}
	}
}

func TestTooManyWildcardRequestsAreRefused(t *testing.T) {
	slow := newGated()
	f := start(t, setup{opts: Options{QueryWorkers: 1, QueryQueue: 1,
		Storages: []Storage{{Name: "slow", KeyExpr: "**", Store: slow}}}})
	ctx := testCtx(t)
	errs := make(chan error, 2)
	go func() { _, err := f.cli.Get(ctx, "a/**"); errs <- err }()
	<-slow.entered // the one query worker is busy
	go func() { errs <- f.cli.Delete(ctx, "b/**") }()
	// Wait until the second sits in the queue: the third is then refused.
	deadline := time.Now().Add(10 * time.Second)
	for len(f.srv.slow) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the second request never queued")
		}
		time.Sleep(time.Millisecond)
	}
	_, err := f.cli.Get(ctx, "c/**")
	wantStatus(t, err, proto.StatusUnavailable)
	close(slow.release)
	for range 2 {
		must(t, <-errs)
	}
	// Plain-key requests never queue there.
	must(t, f.cli.Put(ctx, "k", []byte("v")))
}

// stuck is a store whose Get never returns before its context ends.
type stuck struct{ backend.Store }

func (stuck) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	<-ctx.Done()
	return backend.Entry{}, false, ctx.Err()
}

func TestRequestTimeout(t *testing.T) {
	f := start(t, setup{opts: Options{RequestTimeout: 50 * time.Millisecond,
		Storages: []Storage{{Name: "stuck", KeyExpr: "**", Store: stuck{memory.New()}}}}})
	ctx := testCtx(t)
	begin := time.Now()
	_, err := f.cli.Get(ctx, "k")
	wantStatus(t, err, proto.StatusTimeout)
	if d := time.Since(begin); d < 50*time.Millisecond || d > 5*time.Second {
		t.Fatalf("the request timed out after %v, want 50 to 75ms", d)
	}
	// The client's own deadline, shorter than the server's, ends the call
	// on the client side.
	g := start(t, setup{opts: Options{RequestTimeout: time.Hour,
		Storages: []Storage{{Name: "stuck", KeyExpr: "**", Store: stuck{memory.New()}}}}})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := g.cli.Get(short, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
}

// A key held by several storages is answered with the newest entry any of
// them holds; a newer tombstone in one hides an older value in another.
func TestRepliesMergedAcrossStorages(t *testing.T) {
	ctx := testCtx(t)
	wide, narrow := memory.New(), memory.New()
	apply := func(s backend.Store, e backend.Entry) {
		t.Helper()
		if _, err := s.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	apply(wide, backend.Entry{Key: "x/a/k", Value: []byte("old"), Timestamp: ts(1*time.Second, 1)})
	apply(narrow, backend.Entry{Key: "k", Value: []byte("new"), Timestamp: ts(2*time.Second, 1)})
	apply(wide, backend.Entry{Key: "x/a/gone", Value: []byte("old"), Timestamp: ts(1*time.Second, 1)})
	apply(narrow, backend.Entry{Key: "gone", Deleted: true, Timestamp: ts(2*time.Second, 1)})
	apply(narrow, backend.Entry{Key: "only", Value: []byte("n"), Timestamp: ts(1*time.Second, 1)})
	f := start(t, setup{opts: Options{Storages: []Storage{
		{Name: "wide", KeyExpr: "x/**", Store: wide},
		{Name: "narrow", KeyExpr: "x/a/**", StripPrefix: "x/a", Store: narrow},
	}}})
	f.wantKV("x/**", "x/a/k=new", "x/a/only=n")
	f.wantKV("x/a/k", "x/a/k=new")
	f.wantKV("x/a/gone") // deleted in the narrow storage
	// A put reaches both.
	must(t, f.cli.Put(ctx, "x/a/both", []byte("b")))
	if entries(t, wide)["x/a/both"].Timestamp != entries(t, narrow)["both"].Timestamp {
		t.Fatal("a put to two storages stored different entries")
	}
}
