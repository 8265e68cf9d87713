package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/hlc"
)

// The fault tests of servers on S3: the zmesh server killed, MinIO killed,
// and several servers writing one key. What they check is what a client
// may rely on: a put answered OK is in S3, whatever dies afterwards.

// s3CrashConfig is the configuration of the `zmesh serve` subprocesses:
// every key under crash/ in one bucket, credentials from the environment.
const s3CrashConfig = `server:
  bind: [%s]
volumes:
  s3:
    url: %s
    access_key: ${ZMESH_S3_ACCESS_KEY}
    secret_key: ${ZMESH_S3_SECRET_KEY}
storages:
  crash:
    key_expr: crash/**
    volume: {id: s3, bucket: zmesh-crash, create_bucket: true, reuse_bucket: true}
`

// Puts acknowledged by `zmesh serve` on an S3 storage survive SIGKILL of
// the server while clients write, and a restart: every one of them reads
// back, whole. The server is the real command, built from cmd/zmesh, and
// each round kills it with puts in flight.
func TestAcknowledgedPutsSurviveSIGKILLOnS3(t *testing.T) {
	s3 := s3test.StartMinIO(t)
	bin := buildZmesh(t)
	ep := "tcp://" + freeLoopbackAddr(t)
	cfg := filepath.Join(t.TempDir(), "zmesh.yaml")
	must(t, os.WriteFile(cfg, fmt.Appendf(nil, s3CrashConfig, ep, s3.Endpoint()), 0o600))
	env := []string{"ZMESH_S3_ACCESS_KEY=" + s3.AccessKey, "ZMESH_S3_SECRET_KEY=" + s3.SecretKey}
	ctx := testCtx(t)
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()

	live := map[string]bool{} // acknowledged puts
	const rounds, writers = 3, 12
	var maxInFlight int64
	for round := range rounds {
		srv := startServe(t, bin, cfg, env, ep)
		cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet, Timeout: 10 * time.Second})
		must(t, err)
		checkCrashed(t, ctx, cli, live, nil)

		var mu sync.Mutex
		var acked int
		var inFlight atomic.Int64
		var wg sync.WaitGroup
		wctx, stopWriters := context.WithCancel(ctx)
		for w := range writers {
			wg.Go(func() {
				for i := 0; wctx.Err() == nil; i++ {
					k := fmt.Sprintf("crash/%d/%d/%d", round, w, i)
					inFlight.Add(1)
					err := cli.Put(wctx, k, crashValue(k))
					inFlight.Add(-1)
					if err == nil {
						mu.Lock()
						live[k] = true
						acked++
						mu.Unlock()
					}
				}
			})
		}
		waitFor(t, ctx, fmt.Sprintf("round %d: %d acknowledged puts", round, 100+50*round), func() bool {
			mu.Lock()
			defer mu.Unlock()
			return acked >= 100+50*round
		})
		time.Sleep(time.Duration(round) * 3 * time.Millisecond) // somewhere inside writes
		maxInFlight = max(maxInFlight, inFlight.Load())
		srv.kill(t)
		stopWriters()
		wg.Wait()
		cli.Close()
	}
	srv := startServe(t, bin, cfg, env, ep)
	defer srv.kill(t)
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet, Timeout: 10 * time.Second})
	must(t, err)
	defer cli.Close()
	checkCrashed(t, ctx, cli, live, nil)
	t.Logf("%d acknowledged puts survived %d SIGKILLs of zmesh serve (up to %d puts in flight at a kill)",
		len(live), rounds, maxInFlight)
}

// MinIO killed and restarted while writers put through one server: every
// put answered OK reads back afterwards; while MinIO is down every writer's
// puts fail with an error (so none is stuck waiting for it); and the same
// server, never restarted, takes puts again once MinIO is back.
func TestAcknowledgedPutsSurviveMinIORestart(t *testing.T) {
	s3 := s3test.StartMinIO(t)
	cli := serveS3(t, s3, "zmesh-restart")
	ctx := testCtx(t)

	const writers = 8
	var (
		mu       sync.Mutex
		acked    = map[string]bool{}
		failed   int
		failedBy [writers]int
		wg       sync.WaitGroup
	)
	count := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return len(acked), failed
	}
	wctx, stopWriters := context.WithCancel(ctx)
	defer stopWriters()
	for w := range writers {
		wg.Go(func() {
			for i := 0; wctx.Err() == nil; i++ {
				k := fmt.Sprintf("shared/load/%d/%d", w, i)
				err := cli.Put(wctx, k, crashValue(k))
				mu.Lock()
				if err == nil {
					acked[k] = true
				} else if wctx.Err() == nil {
					failed++
					failedBy[w]++
				}
				mu.Unlock()
			}
		})
	}
	waitFor(t, ctx, "100 acknowledged puts", func() bool { n, _ := count(); return n >= 100 })
	s3.Stop() // as a crash would: the puts in flight lose their connections
	ackedBefore, failedBefore := count()
	mu.Lock()
	up := failedBy // failures while MinIO was up (none expected)
	mu.Unlock()
	waitFor(t, ctx, "a failed put on every writer while MinIO is down", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for w := range writers {
			if failedBy[w] == up[w] {
				return false
			}
		}
		return true
	})
	ackedDown, failedDown := count()
	s3.Start()
	waitFor(t, ctx, "100 more acknowledged puts after MinIO restarted", func() bool {
		n, _ := count()
		return n >= ackedDown+100
	})
	stopWriters()
	wg.Wait()

	got, err := cli.Get(ctx, "shared/load/**")
	must(t, err)
	present := map[string]bool{}
	for _, s := range got {
		present[s.Key] = true
		if string(s.Value) != string(crashValue(s.Key)) {
			t.Fatalf("%s reads back with a wrong value (%d bytes)", s.Key, len(s.Value))
		}
	}
	for k := range acked {
		if !present[k] {
			t.Fatalf("the acknowledged put of %s was lost", k)
		}
	}
	ackedAll, failedAll := count()
	t.Logf("%d puts acknowledged (%d before MinIO was killed, %d after, until every writer had a put fail, %d after the restart began), %d failed (%d, %d, %d), all acknowledged read back",
		ackedAll, ackedBefore, ackedDown-ackedBefore, ackedAll-ackedDown,
		failedAll, failedBefore, failedDown-failedBefore, failedAll-failedDown)
}

// Writers on two servers serving one bucket put and delete the same keys
// concurrently, with timestamps in random order: every server ends up
// answering the newest write of each key (a deleted key: no answer), on
// MinIO and versitygw. Conflicts between the servers go through S3's
// conditional writes; between writers of one server, its key locks.
func TestConcurrentWritersConvergeOnNewestAcrossServers(t *testing.T) {
	s3test.Each(t, func(t *testing.T, kind s3test.Kind, startS3 s3test.StartFunc) {
		s3 := startS3(t)
		clients := []*store.Client{serveS3(t, s3, "zmesh-converge"), serveS3(t, s3, "zmesh-converge")}
		ctx := testCtx(t)
		const writersPerServer, writesPerWriter = 4, 25
		keys := []string{"shared/hot", "shared/hot/a", "shared/hot/b"}
		type write struct {
			key, value string // value "" is a delete
			at         hlc.Timestamp
		}
		var (
			mu     sync.Mutex
			writes []write
			wg     sync.WaitGroup
		)
		base := ts(0, 0)
		for si, cli := range clients {
			for w := range writersPerServer {
				wg.Go(func() {
					src := byte(si*writersPerServer + w + 1)
					rng := rand.New(rand.NewPCG(uint64(src), 7))
					for i := range writesPerWriter {
						// Distinct timestamps (source and counter differ) in
						// random order.
						wr := write{key: keys[rng.IntN(len(keys))], at: hlc.Timestamp{
							Time:    base.Time + int64(rng.IntN(300))*int64(time.Millisecond),
							Counter: uint32(i), Source: hlc.ID{0: src}}}
						var err error
						if rng.IntN(5) == 0 {
							err = cli.Delete(ctx, wr.key, store.WithTimestamp(wr.at))
						} else {
							wr.value = fmt.Sprintf("%s by writer %d #%d", wr.key, src, i)
							err = cli.Put(ctx, wr.key, []byte(wr.value), store.WithTimestamp(wr.at))
						}
						if err != nil {
							t.Errorf("writer %d: %v", src, err)
							return
						}
						mu.Lock()
						writes = append(writes, wr)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		newest := map[string]write{}
		for _, w := range writes {
			if cur, ok := newest[w.key]; !ok || w.at.Compare(cur.at) > 0 {
				newest[w.key] = w
			}
		}
		var want []string
		for _, k := range keys {
			if w := newest[k]; w.value != "" {
				want = append(want, k+"="+w.value)
			}
		}
		for i, cli := range clients {
			got, err := cli.Get(ctx, "shared/hot/**")
			must(t, err)
			if !slices.Equal(kv(got), want) {
				t.Fatalf("%s: server %d answers %q, want the newest writes %q", kind, i, kv(got), want)
			}
			for _, s := range got {
				if want := newest[s.Key].at; s.Timestamp != want {
					t.Fatalf("%s: server %d: %s has timestamp %v, want %v", kind, i, s.Key, s.Timestamp, want)
				}
			}
		}
	})
}

// buildZmesh compiles cmd/zmesh into a temporary directory, with -race if
// this test binary has it: the packages the test run compiled are reused
// (a build without would compile them all again), and the server runs under
// the race detector too.
func buildZmesh(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zmesh")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	out, err := exec.Command("go", append(args, "../../cmd/zmesh")...).CombinedOutput()
	if err != nil {
		t.Fatalf("build cmd/zmesh: %v\n%s", err, out)
	}
	return bin
}

// freeLoopbackAddr returns 127.0.0.1:<a port free right now>, for a
// server that must come back on the same endpoint after a restart.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

// serveProcess is a `zmesh serve` subprocess.
type serveProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	log  string
}

// startServe runs `zmesh serve -c cfg` with env added to the environment,
// and waits until it answers on ep. Its output goes to a file shown if it
// does not start. It is killed when the test ends, if not before.
func startServe(t *testing.T, bin, cfg string, env []string, ep string) *serveProcess {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "serve.log")
	logf, err := os.Create(logPath)
	must(t, err)
	defer logf.Close() // the child holds its own descriptor
	p := &serveProcess{cmd: exec.Command(bin, "serve", "-c", cfg), done: make(chan struct{}), log: logPath}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	// Killed by the kernel should the test binary die first.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	must(t, p.cmd.Start())
	go func() { // ends when the process exits
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill(t) })

	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	probe, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet})
	must(t, err)
	defer probe.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := probe.Info(ctx)
		cancel()
		if err == nil {
			return p
		}
		select {
		case <-p.done:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("zmesh serve exited before answering:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("zmesh serve did not answer on %s: %v\n%s", ep, err, out)
		}
	}
}

// kill sends SIGKILL and waits for the process to exit.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill zmesh serve: %v", err)
	}
	<-p.done
}

// waitFor polls cond until it holds, failing the test if ctx ends first.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
