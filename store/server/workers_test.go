package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend/memory"
)

// Puts that wait inside the store (as synced puts wait for the engine's
// log sync) do not hold up the next requests: workers are added while
// every worker is busy, up to MaxWorkers, so all of them reach the store
// together; once they are answered the extra workers stop.
func TestWorkersGrowWhileBusy(t *testing.T) {
	const workers, maxWorkers, puts = 2, 6, 10
	bs := &blockingStore{Store: memory.New(), entered: make(chan struct{}, puts), release: make(chan struct{})}
	f := start(t, setup{opts: Options{Workers: workers, MaxWorkers: maxWorkers,
		Storages: []Storage{{Name: "slow", KeyExpr: "slow/**", Store: bs}, mem("fast", "fast/**", "")}}})
	ctx := testCtx(t)
	errs := make(chan error, puts)
	for i := range puts {
		go func() { errs <- f.cli.Put(ctx, fmt.Sprint("slow/", i), []byte("v")) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for bs.running.Load() < maxWorkers-1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d puts inside the store at once, want %d (every worker but the receiving one)", bs.running.Load(), maxWorkers-1)
		}
		time.Sleep(time.Millisecond)
	}
	if n := f.srv.workers.Load(); n != maxWorkers {
		t.Errorf("%d workers, want MaxWorkers %d", n, maxWorkers)
	}
	time.Sleep(20 * time.Millisecond)
	if n := bs.running.Load(); n > maxWorkers {
		t.Errorf("%d puts inside the store, more than MaxWorkers %d", n, maxWorkers)
	}
	close(bs.release)
	for range puts {
		must(t, <-errs)
	}
	// Idle again: the extra workers stop, down to Workers (and the one a
	// request below may add).
	for i := range 20 {
		must(t, f.cli.Put(ctx, fmt.Sprint("fast/", i), []byte("v")))
	}
	for f.srv.workers.Load() > workers+1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers left once idle, want at most %d", f.srv.workers.Load(), workers+1)
		}
		must(t, f.cli.Put(ctx, "fast/x", []byte("v")))
	}
}
