package server

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/backend/fs"
)

// The durability test runs the test binary again as a storage server on an
// fs storage in the directory crashEnv names, kills it with SIGKILL while
// clients write, restarts it, and checks every write it acknowledged.
const crashEnv = "ZMESH_STORE_CRASH_DIR"

// crashKindEnv names the subprocess's storage: "fs" or "engine" (whose
// small puts go in batches, see handleBatch).
const crashKindEnv = "ZMESH_STORE_CRASH_KIND"

// crashServer is the server subprocess: it prints its endpoint, then
// serves until killed.
func crashServer() {
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	var st backend.Store
	var err error
	if os.Getenv(crashKindEnv) == "engine" {
		st, err = engine.Open(engine.Config{Root: os.Getenv(crashEnv), MinFreeSpace: -1})
	} else {
		st, err = fs.Open(os.Getenv(crashEnv))
	}
	if err != nil {
		fail(err)
	}
	zctx := socket.NewCtx(quiet)
	sock, err := patterns.NewServer(zctx, socket.Options{})
	if err != nil {
		fail(err)
	}
	if err := sock.Bind("tcp://127.0.0.1:*"); err != nil {
		fail(err)
	}
	ep, err := sock.LastEndpoint()
	if err != nil {
		fail(err)
	}
	srv, err := NewServer(context.Background(), Options{Socket: sock, Logger: quiet,
		Storages: []Storage{{Name: "crash", KeyExpr: "**", Store: st}}})
	if err != nil {
		fail(err)
	}
	fmt.Println("endpoint", ep)
	if err := srv.Serve(context.Background()); err != nil {
		fail(err)
	}
	os.Exit(0)
}

// crashValue is the value of key: the parent recomputes it to check that
// what survived is whole.
func crashValue(key string) []byte {
	var seed uint64
	for _, c := range key {
		seed = seed*31 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]byte, 1+rng.IntN(32<<10))
	for i := range v {
		v[i] = byte(rng.Uint32())
	}
	return v
}

// startCrashServer starts the server subprocess on dir and returns it
// with its endpoint.
func startCrashServer(t *testing.T, dir, kind string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashKindEnv+"="+kind)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server subprocess said %q: %v", line, err)
	}
	ep, ok := strings.CutPrefix(strings.TrimSpace(line), "endpoint ")
	if !ok {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server subprocess said %q", line)
	}
	return cmd, ep
}

// Puts and deletes acknowledged by a server on an fs storage survive
// SIGKILL of the server process and a restart: every one of them, and
// nothing half-written.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) { survivesSIGKILL(t, "fs") }

// The same on an engine storage, whose small puts are written in batches.
func TestAcknowledgedWritesSurviveSIGKILLEngine(t *testing.T) { survivesSIGKILL(t, "engine") }

// survivesSIGKILL runs the SIGKILL test on a storage of kind.
func survivesSIGKILL(t *testing.T, kind string) {
	dir := t.TempDir()
	ctx := testCtx(t)
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	live := map[string]bool{}    // acknowledged puts not deleted since
	deleted := map[string]bool{} // acknowledged deletes
	const rounds, writers = 3, 12
	for round := range rounds {
		cmd, ep := startCrashServer(t, dir, kind)
		cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet, Timeout: 10 * time.Second})
		must(t, err)
		checkCrashed(t, ctx, cli, live, deleted)

		// Writers put new keys and delete some old ones; each records what
		// was acknowledged. The server is killed while they write.
		var mu sync.Mutex
		var acked int
		var wg sync.WaitGroup
		wctx, stopWriters := context.WithCancel(ctx)
		old := make([]string, 0, len(live))
		for k := range live {
			old = append(old, k)
		}
		for w := range writers {
			wg.Go(func() {
				for i := 0; wctx.Err() == nil; i++ {
					if i%5 == 4 && len(old) > 0 {
						k := old[(w*7919+i)%len(old)]
						// Once sent, the delete may land even if its
						// answer is lost: k is no longer known to be live.
						mu.Lock()
						delete(live, k)
						mu.Unlock()
						if cli.Delete(wctx, k) == nil {
							mu.Lock()
							deleted[k] = true
							mu.Unlock()
						}
						continue
					}
					k := fmt.Sprintf("crash/%d/%d/%d", round, w, i)
					if cli.Put(wctx, k, crashValue(k)) == nil {
						mu.Lock()
						live[k] = true
						acked++
						mu.Unlock()
					}
				}
			})
		}
		for {
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			n := acked
			mu.Unlock()
			if n >= 150+50*round {
				break
			}
		}
		time.Sleep(time.Duration(round) * 3 * time.Millisecond) // somewhere inside writes
		must(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait()
		stopWriters()
		wg.Wait()
		cli.Close()
	}
	cmd, ep := startCrashServer(t, dir, kind)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet, Timeout: 10 * time.Second})
	must(t, err)
	defer cli.Close()
	checkCrashed(t, ctx, cli, live, deleted)
	t.Logf("%d acknowledged puts and %d acknowledged deletes survived %d SIGKILLs", len(live), len(deleted), rounds)
}

// checkCrashed checks a restarted server: every acknowledged put is
// there, whole; every acknowledged delete holds; whatever else is there
// (writes in flight when the server died) is whole too.
func checkCrashed(t *testing.T, ctx context.Context, cli *store.Client, live, deleted map[string]bool) {
	t.Helper()
	got, err := cli.Get(ctx, "crash/**")
	must(t, err)
	present := map[string]bool{}
	for _, s := range got {
		present[s.Key] = true
		if string(s.Value) != string(crashValue(s.Key)) {
			t.Fatalf("%s survived with a wrong value (%d bytes)", s.Key, len(s.Value))
		}
		if deleted[s.Key] && !live[s.Key] {
			t.Fatalf("%s came back after an acknowledged delete", s.Key)
		}
	}
	for k := range live {
		if !present[k] {
			t.Fatalf("the acknowledged put of %s was lost", k)
		}
	}
}
