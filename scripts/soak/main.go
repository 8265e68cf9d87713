// Command soak runs `zmesh serve` under mixed load and abuse, kills it
// with SIGKILL and restarts it every minute, and reports per minute what
// the good callers saw and what the server process held; at the end it
// checks that every acknowledged put is readable after the last restart.
// scripts/soak.sh builds and runs it; it is not part of `make test`.
//
// Everything runs on the loopback interface, in bounded numbers, and stops
// by itself after -duration (plus the final check). The load:
//
//   - -callers goroutines (default 64) over 8 store.Clients: puts (70%)
//     and gets (30%) of keys of their own, soak/cNN/KKK, values of 64 B
//     to 2 KiB that carry a version;
//   - -attacks (default nonreader,slowloris,junk; "none" for none, "all"
//     for every one):
//   - nonreader: one client that never reads: rounds of -queries (2000)
//     queries for a -value (256 KiB) value on a CLIENT socket whose
//     receive queue holds one message;
//   - slowloris: 4 connections sending a ZMTP greeting, then one byte a
//     second;
//   - junk: 10 connections a second, 256 random bytes each;
//   - bigframe: 40 connections that send a greeting and then announce a
//     16 MiB frame before any handshake, sending its bytes slowly;
//   - kill -9 of the server and a restart every -restart-every (1m; 0 for
//     none).
//
// A row is printed every -report (1m). scripts/bench-abuse.sh runs it once
// per attack, without restarts, for the good callers' figures with and
// without each.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/proto"
)

const keysPerCaller = 200

func main() {
	zmesh := flag.String("zmesh", "", "the zmesh binary (required)")
	dir := flag.String("dir", "", "working directory (required): config, data, server log")
	duration := flag.Duration("duration", 10*time.Minute, "how long the load runs")
	callers := flag.Int("callers", 64, "good callers")
	restartEvery := flag.Duration("restart-every", time.Minute, "kill -9 and restart the server this often (0: never)")
	attacks := flag.String("attacks", "nonreader,slowloris,junk", "comma-separated: nonreader, slowloris, junk, bigframe; all; none")
	reportEvery := flag.Duration("report", time.Minute, "print a row this often")
	value := flag.Int("value", 256<<10, "the size of the value the non-reader queries")
	queries := flag.Int("queries", 2000, "the non-reader's queries per round")
	flag.Parse()
	if *zmesh == "" || *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	set, err := parseAttacks(*attacks)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	// A hard stop, whatever happens: the load, the final restart and check.
	go func() {
		time.Sleep(*duration + 3*time.Minute)
		fmt.Fprintln(os.Stderr, "soak: hard deadline passed; exiting")
		os.Exit(3)
	}()
	cfg := config{duration: *duration, callers: *callers, restartEvery: *restartEvery, report: *reportEvery,
		attacks: set, value: *value, queries: *queries}
	if err := run(*zmesh, *dir, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	duration, restartEvery, report time.Duration
	callers, value, queries        int
	attacks                        map[string]bool
}

var attackNames = []string{"nonreader", "slowloris", "junk", "bigframe"}

func parseAttacks(s string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, a := range strings.Split(s, ",") {
		switch a = strings.TrimSpace(a); {
		case a == "none" || a == "":
		case a == "all":
			for _, n := range attackNames {
				set[n] = true
			}
		case slices.Contains(attackNames, a):
			set[a] = true
		default:
			return nil, fmt.Errorf("unknown attack %q (want %s, all or none)", a, strings.Join(attackNames, ", "))
		}
	}
	return set, nil
}

// srv is the server process, restarted by kill.
type srv struct {
	bin, cfg, log, httpAddr string
	mu                      sync.Mutex
	cmd                     *exec.Cmd
	restarts                int
}

func (s *srv) start() error {
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, "serve", "-c", s.cfg, "--http", s.httpAddr)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server dies with us, however we end.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() { cmd.Wait(); logf.Close() }()
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.httpAddr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the server did not become healthy within 20s (see its log)")
}

func (s *srv) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

// kill9 kills the server with SIGKILL and waits for it to be gone.
func (s *srv) kill9() {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	for i := 0; i < 200; i++ {
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
}

// stat reads the server's RSS and peak RSS since it started (KiB), open
// fds and goroutines (from /metrics); -1 if unavailable.
func (s *srv) stat() (rssKiB, peakKiB, fds, goroutines int) {
	pid := s.pid()
	rssKiB, peakKiB, fds, goroutines = -1, -1, -1, -1
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				rssKiB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			}
			if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				peakKiB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			}
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		fds = len(ents)
	}
	if resp, err := http.Get("http://" + s.httpAddr + "/metrics"); err == nil {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "zmesh_process_goroutines "); ok {
				goroutines, _ = strconv.Atoi(v)
			}
		}
		resp.Body.Close()
	}
	return
}

// window collects one minute of good-caller outcomes.
type window struct {
	mu   sync.Mutex
	lat  []time.Duration
	errs int
}

func (w *window) add(d time.Duration, err error) {
	w.mu.Lock()
	if err != nil {
		w.errs++
	} else {
		w.lat = append(w.lat, d)
	}
	w.mu.Unlock()
}

func (w *window) take() (lat []time.Duration, errs int) {
	w.mu.Lock()
	lat, errs = w.lat, w.errs
	w.lat, w.errs = nil, 0
	w.mu.Unlock()
	return
}

// keyState is what one key's single writer did: the versions acknowledged
// and attempted. After the last restart the key must hold a version in
// [acked, attempted] (a put that failed may or may not have been applied).
type keyState struct{ acked, attempted int }

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func run(bin, dir string, cfgFlags config) error {
	duration, callers, restartEvery := cfgFlags.duration, cfgFlags.callers, cfgFlags.restartEvery
	reqAddr, err := freePort()
	if err != nil {
		return err
	}
	httpAddr, err := freePort()
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "zmesh.yaml")
	yaml := fmt.Sprintf(`server: {bind: [tcp://%s]}
requests: {timeout: 5s, stall_timeout: 1s}
volumes:
  data: {kind: fs, root: %s}
storages:
  soak: {key_expr: "**", volume: data}
`, reqAddr, filepath.Join(dir, "data"))
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		return err
	}
	s := &srv{bin: bin, cfg: cfg, log: filepath.Join(dir, "server.log"), httpAddr: httpAddr}
	if err := s.start(); err != nil {
		return err
	}
	defer func() {
		s.mu.Lock()
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		s.mu.Unlock()
		time.Sleep(200 * time.Millisecond)
		s.kill9()
	}()
	ep := "tcp://" + reqAddr
	zctx := socket.NewCtx(nil)
	defer zctx.Close()

	clients := make([]*store.Client, 8)
	for i := range clients {
		c, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Timeout: 5 * time.Second})
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = c
	}
	bigCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = clients[0].Put(bigCtx, "big/value", make([]byte, cfgFlags.value))
	cancel()
	if err != nil {
		return fmt.Errorf("put the non-reader's value: %w", err)
	}

	ctx, stop := context.WithTimeout(context.Background(), duration)
	defer stop()
	var wg sync.WaitGroup
	var win window
	var acked, attempted atomic.Int64
	states := make([][]keyState, callers)
	for c := range callers {
		states[c] = make([]keyState, keysPerCaller)
		cli := clients[c%len(clients)]
		wg.Go(func() { goodCaller(ctx, cli, c, states[c], &win, &acked, &attempted) })
	}
	var nonReaderRounds, slowlorisConns, junkConns, bigConns atomic.Int64
	if cfgFlags.attacks["nonreader"] {
		wg.Go(func() { nonReader(ctx, zctx, ep, cfgFlags.queries, &nonReaderRounds) })
	}
	if cfgFlags.attacks["slowloris"] {
		for range 4 {
			wg.Go(func() { slowloris(ctx, reqAddr, &slowlorisConns) })
		}
	}
	if cfgFlags.attacks["junk"] {
		wg.Go(func() { junk(ctx, reqAddr, &junkConns) })
	}
	if cfgFlags.attacks["bigframe"] {
		for range 40 {
			wg.Go(func() { bigFrame(ctx, reqAddr, &bigConns) })
		}
	}
	var on []string
	for _, n := range attackNames {
		if cfgFlags.attacks[n] {
			on = append(on, n)
		}
	}
	if len(on) == 0 {
		on = []string{"none"}
	}
	restarts := "never"
	if restartEvery > 0 {
		restarts = "every " + restartEvery.String()
	}

	fmt.Printf("per %v: the good callers' completed operations, their latency, failed operations (a restart "+
		"costs each caller one), and the server's RSS, peak RSS since its last start, open fds and goroutines\n", cfgFlags.report)
	fmt.Printf("soak: zmesh serve on %s (http %s), %d callers, attacks: %s (non-reader: %d queries for %d bytes), kill -9 %s, for %v\n",
		ep, httpAddr, callers, strings.Join(on, ","), cfgFlags.queries, cfgFlags.value, restarts, duration)
	fmt.Printf("%-6s %9s %8s %9s %9s %6s %8s %9s %5s %6s %8s\n",
		"period", "ops", "ops/s", "p50", "p99", "errors", "rss_MiB", "peak_MiB", "fds", "gorout", "restarts")
	start := time.Now()
	report := time.NewTicker(cfgFlags.report)
	defer report.Stop()
	// Restarts fall half-way between reports, so each report samples a
	// server that has run for a while.
	var restartC <-chan time.Time // nil, never ready, without restarts
	if restartEvery > 0 {
		restartC = time.After(restartEvery / 2)
	}
	minute := 0
	last := start
	printRow := func() {
		minute++
		lat, errs := win.take()
		slices.Sort(lat)
		pct := func(p float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[min(len(lat)-1, int(float64(len(lat))*p))]
		}
		rss, peak, fds, gor := s.stat()
		el := time.Since(last).Seconds()
		last = time.Now()
		fmt.Printf("%-6d %9d %8.0f %9v %9v %6d %8d %9d %5d %6d %8d\n", minute, len(lat), float64(len(lat))/el,
			pct(0.5).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), errs, rss/1024, peak/1024, fds, gor, s.restarts)
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-report.C:
			printRow()
		case <-restartC:
			s.kill9()
			if err := s.start(); err != nil {
				return fmt.Errorf("restart: %w", err)
			}
			s.restarts++
			restartC = time.After(restartEvery)
		}
	}
	if time.Since(last) > 5*time.Second {
		printRow()
	}
	wg.Wait()

	// The last restart, then every acknowledged put must be readable.
	s.kill9()
	if err := s.start(); err != nil {
		return fmt.Errorf("final restart: %w", err)
	}
	s.restarts++
	vctx, vcancel := context.WithTimeout(context.Background(), time.Minute)
	defer vcancel()
	checker, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	defer checker.Close()
	samples, err := checker.Get(vctx, "soak/**")
	if err != nil {
		return fmt.Errorf("final read: %w", err)
	}
	got := map[string]int{}
	for _, sm := range samples {
		v, _, _ := strings.Cut(string(sm.Value), "|")
		got[sm.Key], _ = strconv.Atoi(v)
	}
	var keysAcked, readable, lost, phantom int
	for c := range callers {
		for k, st := range states[c] {
			key := fmt.Sprintf("soak/c%02d/%03d", c, k)
			v, ok := got[key]
			switch {
			case st.acked == 0 && (!ok || v <= st.attempted):
				// never acknowledged: anything attempted, or nothing, is fine
			case st.acked == 0:
				phantom++
			case ok && v >= st.acked && v <= st.attempted:
				keysAcked++
				readable++
			case ok && v > st.attempted:
				keysAcked++
				phantom++
			default:
				keysAcked++
				lost++
				if lost <= 5 {
					fmt.Printf("LOST %s: acknowledged version %d, read %d (present %v)\n", key, st.acked, v, ok)
				}
			}
		}
	}
	fmt.Printf("\nran %v; %d server restarts (kill -9); non-reader rounds %d, slowloris connections %d, junk connections %d, big-frame connections %d\n",
		time.Since(start).Round(time.Second), s.restarts, nonReaderRounds.Load(), slowlorisConns.Load(), junkConns.Load(), bigConns.Load())
	fmt.Printf("puts acknowledged %d of %d attempted; keys with an acknowledged put %d: readable with their last acknowledged (or a later attempted) version %d, lost %d, unexplained %d\n",
		acked.Load(), attempted.Load(), keysAcked, readable, lost, phantom)
	if lost > 0 || phantom > 0 {
		return fmt.Errorf("%d acknowledged writes lost, %d unexplained values", lost, phantom)
	}
	fmt.Println("every acknowledged put is readable after the last restart")
	return nil
}

// goodCaller puts and gets keys of its own until ctx ends: 70% puts of the
// next version of a random key, 30% gets.
func goodCaller(ctx context.Context, cli *store.Client, id int, st []keyState, win *window, acked, attempted *atomic.Int64) {
	pad := strings.Repeat("x", 2048)
	for ctx.Err() == nil {
		k := mrand.IntN(keysPerCaller)
		key := fmt.Sprintf("soak/c%02d/%03d", id, k)
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t0 := time.Now()
		var err error
		if mrand.IntN(10) < 7 {
			v := st[k].attempted + 1
			st[k].attempted = v
			attempted.Add(1)
			err = cli.Put(rctx, key, []byte(strconv.Itoa(v)+"|"+pad[:64+mrand.IntN(2048-64)]))
			if err == nil {
				st[k].acked = v
				acked.Add(1)
			}
		} else {
			_, err = cli.Get(rctx, key)
		}
		d := time.Since(t0)
		cancel()
		if ctx.Err() != nil {
			return // the end, not a failure
		}
		win.add(d, err)
		if err != nil {
			time.Sleep(50 * time.Millisecond) // the server is restarting
		}
	}
}

// nonReader sends rounds of n queries for big/value on a CLIENT that never
// receives (its receive queue holds one message), a new socket each
// 10-second round.
func nonReader(ctx context.Context, zctx *socket.Ctx, ep string, n int, rounds *atomic.Int64) {
	q := proto.Message{Kind: proto.KindQuery, Key: "big/value"}
	for ctx.Err() == nil {
		c, err := patterns.NewClient(zctx, socket.Options{RecvHWM: 1, Linger: -1})
		if err != nil {
			return
		}
		_ = c.Connect(ep)
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		for i := range n {
			q.ID = uint64(i + 1)
			b, _ := q.MarshalBinary()
			if c.Send(rctx, b) != nil {
				break
			}
		}
		<-rctx.Done()
		cancel()
		c.Close()
		rounds.Add(1)
	}
}

// greeting is a ZMTP 3.1 greeting of a NULL client.
func greeting() []byte { return zmtp.NewGreeting("NULL", false).Append(nil) }

// slowloris connects, sends a greeting, then one byte a second, and
// reconnects when the server drops it.
func slowloris(ctx context.Context, addr string, conns *atomic.Int64) {
	var d net.Dialer
	for ctx.Err() == nil {
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
		conns.Add(1)
		stop := context.AfterFunc(ctx, func() { nc.Close() })
		go io.Copy(io.Discard, nc) // the server's greeting; ends when nc closes
		if _, err := nc.Write(greeting()); err == nil {
			// A READY command, one byte a second.
			ready := zmtp.AppendFrame(nil, zmtp.FlagCommand,
				zmtp.AppendReady(nil, zmtp.Metadata{{Name: "Socket-Type", Value: "CLIENT"}}))
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := nc.Write(ready[i%len(ready) : i%len(ready)+1]); err != nil {
					break
				}
				sleep(ctx, time.Second)
			}
		}
		stop()
		nc.Close()
	}
}

// bigFrame connects, sends a greeting and the header of a 16 MiB frame
// before any handshake, then the frame's bytes a KiB a second, and
// reconnects when the server drops it.
func bigFrame(ctx context.Context, addr string, conns *atomic.Int64) {
	var d net.Dialer
	chunk := make([]byte, 1024)
	for ctx.Err() == nil {
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
		conns.Add(1)
		stop := context.AfterFunc(ctx, func() { nc.Close() })
		go io.Copy(io.Discard, nc)
		hdr := zmtp.AppendHeader(greeting(), zmtp.FlagCommand, 16<<20)
		if _, err := nc.Write(hdr); err == nil {
			for ctx.Err() == nil {
				if _, err := nc.Write(chunk); err != nil {
					break
				}
				sleep(ctx, time.Second)
			}
		}
		stop()
		nc.Close()
	}
}

// junk opens 10 connections a second, each writing 256 random bytes.
func junk(ctx context.Context, addr string, conns *atomic.Int64) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	buf := make([]byte, 256)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue
		}
		conns.Add(1)
		rand.Read(buf)
		_ = nc.SetDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write(buf)
		_, _ = io.Copy(io.Discard, nc)
		nc.Close()
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
