package engine_test

// Load and abuse tests, bounded in count and time: a SERVER facing 1000
// hostile connections (from a faultpeer subprocess) while a good CLIENT
// keeps doing request/reply; the connection cap under that load; the
// maximum message size enforced before allocation; memory bounded by the
// high-water marks with a stalled receiver.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/faultpeer/harness"
	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// countHeld counts process pid's TCP connections whose local port is port
// (what a socket bound there holds: accepted connections, whatever their
// handshake state), listeners excluded. It reads /proc, so it sees file
// descriptors, not the engine's own bookkeeping.
func countHeld(pid, port int) (int, error) {
	proc := "/proc/" + strconv.Itoa(pid)
	fds, err := os.ReadDir(proc + "/fd")
	if err != nil {
		return 0, fmt.Errorf("counting connections needs Linux's /proc: %w", err)
	}
	inodes := make(map[string]bool, len(fds))
	for _, fd := range fds {
		link, err := os.Readlink(proc + "/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[link[len("socket:["):len(link)-1]] = true
		}
	}
	// /proc/net/tcp is read in chunks while connections come and go, so
	// an entry can be listed twice: count inodes, not lines.
	counted := make(map[string]bool)
	for _, file := range []string{"/net/tcp", "/net/tcp6"} {
		data, err := os.ReadFile(proc + file)
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] == "0A" { // 0A: LISTEN
				continue
			}
			i := strings.LastIndexByte(f[1], ':')
			p, err := strconv.ParseUint(f[1][i+1:], 16, 16)
			if err == nil && int(p) == port && inodes[f[9]] {
				counted[f[9]] = true
			}
		}
	}
	return len(counted), nil
}

func heldConns(t testing.TB, pid, port int) int {
	t.Helper()
	n, err := countHeld(pid, port)
	must(t, err)
	return n
}

func endpointPort(t testing.TB, ep string) int {
	t.Helper()
	i := strings.LastIndexByte(ep, ':')
	p, err := strconv.Atoi(ep[i+1:])
	if err != nil {
		t.Fatalf("endpoint %q: %v", ep, err)
	}
	return p
}

// waitHeld waits until the connections process pid holds on port satisfy ok.
func waitHeld(t testing.TB, pid, port int, what string, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n := heldConns(t, pid, port)
		if ok(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d connections held", what, n)
		}
		time.Sleep(50 * time.Millisecond) // polling /proc: there is no event for "all closed"
	}
}

// echoing runs an echo loop on srv until the test ends.
func echoing(t *testing.T, srv *patterns.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			m, err := srv.Recv(ctx)
			if err != nil {
				return
			}
			srv.Route(ctx, m.Body, m.RoutingID)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// roundTrips does request/reply on cli for d and returns how many it did.
// Every round trip must succeed: the good client is never refused.
func roundTrips(t *testing.T, cli *patterns.Client, d time.Duration) int {
	t.Helper()
	return roundTripsWithin(t, cli, d, 20*time.Second)
}

// roundTripsWithin is roundTrips with each round trip's deadline: a
// request not answered within it fails the test.
func roundTripsWithin(t *testing.T, cli *patterns.Client, d, deadline time.Duration) int {
	t.Helper()
	body := make([]byte, 64)
	n := 0
	for end := time.Now().Add(d); time.Now().Before(end); n++ {
		binary.BigEndian.PutUint64(body, uint64(n))
		c, cancel := context.WithTimeout(context.Background(), deadline)
		err := cli.Send(c, body)
		var m socket.Msg
		if err == nil {
			m, err = cli.Recv(c)
		}
		cancel()
		if err != nil {
			t.Fatalf("good client's round trip %d (deadline %v): %v", n, deadline, err)
		}
		if binary.BigEndian.Uint64(m.Body) != uint64(n) {
			t.Fatalf("good client's round trip %d got reply %d", n, binary.BigEndian.Uint64(m.Body))
		}
		body = make([]byte, 64) // the socket owns a sent body until written
	}
	return n
}

const abuseConns = 1000

// startAbuser starts a faultpeer keeping abuseConns hostile connections to
// ep (every kind: silent, junk, half a greeting, greeting without READY,
// part of READY, a greeting trickled a byte at a time, a 2^40-byte command,
// the wrong mechanism), each redialled when the server drops it but at most
// once per pause.
func startAbuser(t testing.TB, ep string, pause time.Duration) *interop.Peer {
	t.Helper()
	ab := harness.Start(t, "--mode", "abuse", "--connect", ep, "--conns", strconv.Itoa(abuseConns),
		"--pause", pause.String(), "--timeout", "100s")
	if _, err := ab.WaitLine("abusing", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return ab
}

func needFiles(t testing.TB) {
	t.Helper()
	// Accepted abusive connections, the good client's, and the test's own.
	if got, err := harness.RaiseFileLimit(2*abuseConns + 512); err != nil || got < abuseConns+256 {
		t.Fatalf("open-file limit %d (%v) is too low for %d connections", got, err, abuseConns)
	}
}

// TestGoodClientServedUnderConnectionAbuse: while 1000 hostile connections
// (every kind startAbuser makes) come and go against a SERVER with a short
// handshake timeout, what holds whatever the machine's load: every request
// of a good CLIENT is answered, each within its deadline; the server's heap
// stays within a bound; and the server drops the hostile connections
// itself: with the abuser frozen (it closes nothing then), every one of its
// connections is gone after the handshake timeout, each with a
// handshake-failed event saying why. How much throughput the good client
// keeps is a figure, not a pass or fail: BenchmarkGoodClientUnderConnectionAbuse
// reports it.
func TestGoodClientServedUnderConnectionAbuse(t *testing.T) {
	const (
		handshake = time.Second
		deadline  = 10 * time.Second // each good request's, generous for 2 loaded cores under -race
		heapBound = 64 << 20
	)
	needFiles(t)
	srv, ep, mon := newServer(t, socket.Options{HandshakeTimeout: handshake, MaxMsgSize: 1 << 20})
	echoing(t, srv)
	port := endpointPort(t, ep)
	// The monitor's reader counts handshake failures, by reason; what the
	// abuser's connections fail with once it is frozen is what the server
	// did to them.
	var (
		failed, silent atomic.Int64
		reasonsMu      sync.Mutex
		reasons        = map[string]int{}
	)
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for e := range mon { // closed when the server closes
			if e.Type != socket.EventHandshakeFailed {
				continue
			}
			failed.Add(1)
			if e.Err == nil {
				silent.Add(1)
				continue
			}
			reasonsMu.Lock()
			reasons[reasonOf(e.Err)]++
			reasonsMu.Unlock()
		}
	}()
	cli, err := patterns.NewClient(nil, socket.Options{})
	must(t, err)
	defer cli.Close()
	must(t, cli.Connect(ep))
	roundTripsWithin(t, cli, 100*time.Millisecond, deadline)
	before := memStats()

	abuser := startAbuser(t, ep, time.Second)
	held := waitHeld(t, os.Getpid(), port, "abusive connections", func(n int) bool { return n > abuseConns/4 })
	trips := roundTripsWithin(t, cli, 3*time.Second, deadline)
	during := memStats()
	// The abuse has not faded: the abuser still holds many connections
	// after the run as before it. How many at one instant depends on how
	// much CPU the abuser gets, so it is waited for, as at the start, not
	// sampled once (one sample on a loaded machine caught a dip).
	after := waitHeld(t, os.Getpid(), port, "hostile connections after the good client's run (the abuse faded)",
		func(n int) bool { return n > abuseConns/8 })
	grown := int64(during.HeapInuse) - int64(before.HeapInuse)
	if grown > heapBound {
		t.Fatalf("heap in use grew by %d MiB under abuse, want under %d MiB", grown>>20, heapBound>>20)
	}

	// Frozen, the abuser neither closes nor redials: whatever goes now,
	// the server dropped. The tally starts before the freeze, not after
	// the count of held connections below: on a loaded machine reading
	// /proc can outlast the handshake timeout, and every drop would then
	// have happened before a later start.
	reasonsMu.Lock()
	failedBefore := failed.Load()
	clear(reasons)
	reasonsMu.Unlock()
	if err := abuser.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := heldConns(t, os.Getpid(), port) - 1
	waitHeld(t, os.Getpid(), port, "abusive connections outliving the handshake timeout", func(n int) bool { return n == 1 })
	roundTripsWithin(t, cli, 50*time.Millisecond, deadline) // the good client is still in
	srv.Close()
	<-counted
	abuser.Kill()
	dropped := failed.Load() - failedBefore
	t.Logf("%d good round trips, each within %v, with %d to %d hostile connections held; heap in use %+d KiB; "+
		"%d hostile connections held when frozen, %d handshake failures since (%v); %d in all",
		trips, deadline, held-1, after-1, grown>>10, frozen, dropped, reasons, failed.Load())
	if silent.Load() > 0 {
		t.Fatalf("%d handshake-failed events carry no reason", silent.Load())
	}
	// The count of connections held at the freeze comes from /proc, read
	// while they come and go, so it is no exact match for the events; what
	// is exact: all are gone above, and the server's timeout took them.
	reasonsMu.Lock()
	timedOut := reasons["timeout"]
	reasonsMu.Unlock()
	if timedOut == 0 {
		t.Fatalf("no hostile connection was dropped at the handshake timeout once the abuser froze (%v)", reasons)
	}
}

// reasonOf shortens a handshake failure's reason for a tally.
func reasonOf(err error) string {
	switch r := err.Error(); {
	case strings.Contains(r, "timed out") || strings.Contains(r, "timeout"):
		return "timeout"
	case errors.Is(err, socket.ErrTooLarge):
		return "too large"
	default:
		if i := strings.IndexByte(r, ':'); i > 0 {
			r = r[:i]
		}
		return r
	}
}

// BenchmarkGoodClientUnderConnectionAbuse reports how much of its
// request/reply rate a good CLIENT keeps while 1000 hostile connections
// come and go against a SERVER with a 1 s handshake timeout: the metric
// abused/unabused (the target is 0.8 or more), with the two rates
// in round trips per second and the hostile connections held. It is a
// figure for a quiet machine, not a test: on 2 loaded cores it has been
// seen at 0.71 and 0.79 with the code unchanged. Run it alone:
//
//	go test -run '^$' -bench GoodClientUnderConnectionAbuse ./internal/engine/
//
// The SERVER and the good CLIENT run as faultpeer processes, built as in
// production (no race detector, whatever this binary was built with). This
// process only conducts: it freezes the abuser (SIGSTOP: the server then
// drops all its connections) and thaws it (SIGCONT: its connections come
// back), and reads the client's round-trip count (SIGUSR1) at the edges of
// alternating 1-second windows. The ratio is pooled over rounds of adjacent
// windows, the mean abused rate over the mean unabused rate, so other load
// on a shared machine, which changes slowly, hits both sides alike. Each
// b.N iteration is one set of rounds; the benchmark runs one (it takes
// about 30 s).
func BenchmarkGoodClientUnderConnectionAbuse(b *testing.B) {
	const (
		// Short against the default 30 s; each abusive slot dials at most
		// once per second, so about 1000 connections a second come and go
		// and 500 to 630 hostile ones are held at once.
		handshake = "1s"
		dialEvery = time.Second
		window    = time.Second
		rounds    = 7
	)
	needFiles(b) // the faultpeers inherit the raised limit
	srv := harness.Start(b, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo",
		"--handshake-timeout", handshake, "--max-msg-size", "1048576", "--timeout", "600s")
	ep, err := srv.Bound(30 * time.Second)
	must(b, err)
	port := endpointPort(b, ep)
	cli := harness.Start(b, "--type", "client", "--connect", ep, "--mode", "bench", "--size", "64", "--timeout", "600s")
	if _, err := cli.WaitLine("ready", 30*time.Second); err != nil {
		b.Fatal(err)
	}
	// count reads the client's round trips so far.
	count := func() (int, time.Time) {
		b.Helper()
		if err := cli.Signal(syscall.SIGUSR1); err != nil {
			b.Fatal(err)
		}
		l, err := cli.WaitLine("count ", 30*time.Second)
		must(b, err)
		n, err := strconv.Atoi(strings.TrimPrefix(l, "count "))
		if err != nil {
			b.Fatalf("bad line %q", l)
		}
		return n, time.Now()
	}
	// rate measures round trips per second over one window.
	rate := func() float64 {
		b.Helper()
		n0, t0 := count()
		time.Sleep(window) // the measurement window
		n1, t1 := count()
		if n1 <= n0 {
			b.Fatalf("the good client did no round trip in %v", t1.Sub(t0))
		}
		return float64(n1-n0) / t1.Sub(t0).Seconds()
	}
	waitHeld(b, srv.Pid(), port, "the good client", func(n int) bool { return n == 1 })
	rate() // warm up

	abuser := startAbuser(b, ep, dialEvery)
	defer abuser.Kill()
	var ratios []float64
	var peak, runs int
	var sumBase, sumAbused float64
	b.ResetTimer()
	for b.Loop() {
		runs++
		for r := 0; r < rounds; r++ {
			// Quiet: the abuser frozen and every one of its connections gone.
			if err := abuser.Signal(syscall.SIGSTOP); err != nil {
				b.Fatal(err)
			}
			waitHeld(b, srv.Pid(), port, "abusive connections outliving the handshake timeout", func(n int) bool { return n == 1 })
			base := rate()

			// Abused: the abuser running with most of its connections up.
			if err := abuser.Signal(syscall.SIGCONT); err != nil {
				b.Fatal(err)
			}
			held := waitHeld(b, srv.Pid(), port, "abusive connections coming back", func(n int) bool { return n > abuseConns/4 })
			abused := rate()
			after := heldConns(b, srv.Pid(), port)
			peak = max(peak, held, after)
			ratio := abused / base
			ratios = append(ratios, ratio)
			sumBase += base
			sumAbused += abused
			b.Logf("round %d: %.0f round trips/s unabused, %.0f with hostile connections held (%d at the start of the window, %d at its end): %.2f",
				r, base, abused, held-1, after-1, ratio)
		}
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.Logf("throughput under abuse: %.2f of unabused over %d rounds (per-round ratios %.2f, median %.2f); up to %d hostile connections held at once",
		sumAbused/sumBase, len(ratios), ratios, ratios[len(ratios)/2], peak-1)
	b.ReportMetric(sumAbused/sumBase, "abused/unabused")
	b.ReportMetric(sumBase/float64(runs*rounds), "rt/s-unabused")
	b.ReportMetric(sumAbused/float64(runs*rounds), "rt/s-abused")
	b.ReportMetric(float64(peak-1), "hostile-held")
}

// TestMaxConnectionsHoldsUnderAbuse: with MaxConnections set, 1000 hostile
// connections never make a SERVER hold more than the cap (+1: the
// connection being refused between accept and close); the excess is
// refused at once (EventAcceptFailed, ErrSocketLimit); the good CLIENT
// connected before keeps its request/reply going; and once the abuse stops
// the freed places take new clients.
func TestMaxConnectionsHoldsUnderAbuse(t *testing.T) {
	needFiles(t)
	const limit = 50
	srv, ep, mon := newServer(t, socket.Options{MaxConnections: limit, HandshakeTimeout: time.Second})
	echoing(t, srv)
	port := endpointPort(t, ep)
	refused := make(chan int, 1)
	go func() {
		n := 0
		for e := range mon { // closed when the server closes
			if e.Type == socket.EventAcceptFailed && errors.Is(e.Err, socket.ErrSocketLimit) {
				n++
			}
		}
		refused <- n
	}()
	cli, err := patterns.NewClient(nil, socket.Options{})
	must(t, err)
	defer cli.Close()
	must(t, cli.Connect(ep))
	roundTrips(t, cli, 100*time.Millisecond)

	abuser := startAbuser(t, ep, 100*time.Millisecond)
	var (
		peak    int
		stop    = make(chan struct{})
		sampled = make(chan int)
	)
	go func() {
		p := 0
		for {
			select {
			case <-stop:
				sampled <- p
				return
			default:
			}
			if n, err := countHeld(os.Getpid(), port); err == nil {
				p = max(p, n)
			}
			time.Sleep(10 * time.Millisecond) // sampling rate
		}
	}()
	trips := roundTrips(t, cli, 3*time.Second)
	close(stop)
	peak = <-sampled
	abuser.Kill()
	if peak > limit+1 {
		t.Fatalf("held %d connections at once with MaxConnections %d", peak, limit)
	}
	if peak < limit/2 {
		t.Fatalf("held at most %d connections: the abuse did not reach the cap %d", peak, limit)
	}
	if trips == 0 {
		t.Fatal("the good client did no round trip under abuse")
	}
	waitHeld(t, os.Getpid(), port, "abusive connections after the abuser died", func(n int) bool { return n == 1 })
	late, err := patterns.NewClient(nil, socket.Options{})
	must(t, err)
	defer late.Close()
	must(t, late.Connect(ep))
	roundTrips(t, late, 50*time.Millisecond)
	srv.Close()
	n := <-refused
	if n == 0 {
		t.Fatal("no connection was refused with ErrSocketLimit")
	}
	t.Logf("cap %d: at most %d connections held, %d refused, %d good round trips in 3 s of abuse", limit, peak, n, trips)
}

// memStats returns the memory statistics after a full collection.
func memStats() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// TestHugeFrameIsRefusedBeforeAllocation: peers announcing a 2^40-byte frame
// (a message after the handshake, or a command during it) against
// MaxMsgSize 1 MiB are dropped with ErrTooLarge before anything is
// allocated for the frame: 50 such peers together make the process
// allocate less than 256 KiB each (a connection's own buffers), and hold
// nothing once they are gone. Without a limit, a peer that announces 2^40
// bytes and sends a few costs only as much memory as has arrived, plus one
// step of growth (1 MiB) once the handshake is done; during it, where the
// peer is still anonymous, a frame over socket.MaxHandshakeFrame is
// refused whatever the limit; an anonymous peer that only sends its
// greeting costs less than 16 KiB.
func TestHugeFrameIsRefusedBeforeAllocation(t *testing.T) {
	const huge = 1 << 40
	cases := []struct {
		name   string
		opts   socket.Options
		send   func(r *rawPeer)
		event  socket.EventType
		tooBig bool
		each   uint64 // allocation allowed per peer
	}{
		{"message after the handshake, limit 1 MiB", socket.Options{MaxMsgSize: 1 << 20}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteHeader(zmtp.FlagLong, huge))
		}, socket.EventDisconnected, true, 256 << 10},
		{"command during the handshake, limit 1 MiB", socket.Options{MaxMsgSize: 1 << 20}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteHeader(zmtp.FlagLong|zmtp.FlagCommand, huge))
		}, socket.EventHandshakeFailed, true, 256 << 10},
		{"message after the handshake, no limit, 4 KiB sent", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteHeader(zmtp.FlagLong, huge))
			r.write(make([]byte, 4096))
		}, socket.EventDisconnected, false, (1 << 20) + 256<<10},
		{"command during the handshake, no limit", socket.Options{}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteHeader(zmtp.FlagLong|zmtp.FlagCommand, huge))
		}, socket.EventHandshakeFailed, true, 32 << 10},
		{"greeting only, then silence", socket.Options{}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)))
		}, socket.EventHandshakeFailed, false, 16 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const peers = 50
			_, ep, mon := newServer(t, tc.opts)
			before := memStats()
			var rs []*rawPeer
			for i := 0; i < peers; i++ {
				r := dialRaw(t, ep)
				tc.send(r)
				rs = append(rs, r)
			}
			if !tc.tooBig {
				// Nothing to refuse: once each peer is in (or has sent its
				// bytes into the handshake), hang up mid-frame. Its
				// disconnect (unexpected EOF) comes after the server has
				// read all it sent.
				if tc.event == socket.EventDisconnected {
					for i := 0; i < peers; i++ {
						waitEvent(t, mon, socket.EventHandshakeSucceeded)
					}
				} else {
					time.Sleep(200 * time.Millisecond)
				}
				for _, r := range rs {
					r.nc.Close()
				}
			}
			for i := 0; i < peers; i++ {
				e := waitEvent(t, mon, tc.event)
				if tc.tooBig && !errors.Is(e.Err, socket.ErrTooLarge) {
					t.Fatalf("peer dropped for %v, want ErrTooLarge", e.Err)
				}
			}
			after := memStats()
			for _, r := range rs {
				r.nc.Close()
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d peers announcing 2^40 bytes: %d KiB allocated in all, heap in use %+d KiB",
				peers, allocated>>10, (int64(after.HeapInuse)-int64(before.HeapInuse))>>10)
			if allocated > peers*tc.each {
				t.Fatalf("%d peers announcing 2^40-byte frames made the process allocate %d MiB", peers, allocated>>20)
			}
			if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 8<<20 {
				t.Fatalf("heap in use grew by %d MiB and stayed", grown>>20)
			}
		})
	}
}

// TestUnauthenticatedBigFramesHoldLittle: 40 connections that send a
// greeting and then a command frame announcing 16 MB (and 16 MB less a
// byte of it), the handshake never finished, against a server whose
// MaxMsgSize is 16 MiB, NULL and CURVE (admitting no key) alike: before
// the handshake no frame may exceed socket.MaxHandshakeFrame, so each is
// dropped with ErrTooLarge at its header and together they grow the heap
// by less than 64 MiB (they would hold 640 MB if the frames were read).
func TestUnauthenticatedBigFramesHoldLittle(t *testing.T) {
	const (
		peers    = 40
		announce = 16 << 20
		bound    = 64 << 20
	)
	_, curveSec, err := mechanism.GenerateKeyPair()
	must(t, err)
	payload := make([]byte, announce-1) // the peers' own, allocated before the first measure
	for _, tc := range []struct {
		name string
		mech mechanism.Mechanism
	}{
		{"NULL", nil},
		{"CURVE admitting no key", &mechanism.CurveServer{SecretKey: curveSec}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ep, mon := newServer(t, socket.Options{MaxMsgSize: 16 << 20, Mechanism: tc.mech, Auth: &mechanism.Auth{}})
			mech := "NULL"
			if tc.mech != nil {
				mech = tc.mech.Name()
			}
			before := memStats()
			var wg sync.WaitGroup
			for i := 0; i < peers; i++ {
				r := dialRaw(t, ep)
				r.send(r.w.WriteGreeting(zmtp.Greeting{Major: 3, Minor: 1, Mechanism: mech}),
					r.w.WriteHeader(zmtp.FlagLong|zmtp.FlagCommand, announce))
				wg.Add(1)
				go func() {
					defer wg.Done()
					// The server may refuse before all of it is sent: errors
					// are expected then.
					_, _ = r.nc.Write(payload)
				}()
			}
			wg.Wait()
			// The connections that were not dropped hold what they sent.
			held := memStats()
			grown := int64(held.HeapInuse) - int64(before.HeapInuse)
			t.Logf("%d unauthenticated connections announcing %d MiB frames: heap in use %+d KiB", peers, announce>>20, grown>>10)
			if grown > bound {
				t.Fatalf("heap in use grew by %d MiB, want under %d MiB", grown>>20, bound>>20)
			}
			for i := 0; i < peers; i++ {
				e := waitEvent(t, mon, socket.EventHandshakeFailed)
				if !errors.Is(e.Err, socket.ErrTooLarge) || !strings.Contains(e.Err.Error(), "before the handshake") {
					t.Fatalf("connection dropped for %v, want ErrTooLarge before the handshake", e.Err)
				}
			}
		})
	}
}

// TestStalledReceiverMemoryBoundedByHWM: a CLIENT sending 16-byte messages
// to a SERVER that never calls Recv fills the pipes to their high-water
// marks (and the kernel's socket buffers) and then refuses more
// (ErrWouldBlock); trying 10M messages that way must keep the heap in use
// under 64 MiB. Each message gets its own body, so bodies that were never
// released would show.
func TestStalledReceiverMemoryBoundedByHWM(t *testing.T) {
	const tries, size = 10_000_000, 16
	_, ep, _ := newServer(t, socket.Options{}) // never receives
	cli, err := patterns.NewClient(nil, socket.Options{})
	must(t, err)
	defer cli.Close()
	mon := cli.Monitor()
	must(t, cli.Connect(ep))
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	before := memStats()
	sent := 0
	body := func() []byte {
		b := make([]byte, size)
		binary.BigEndian.PutUint64(b, uint64(sent))
		return b
	}
	deadline := time.Now().Add(60 * time.Second)
	for sent < tries && time.Now().Before(deadline) {
		err := cli.TrySend(body())
		if err == nil {
			sent++
			continue
		}
		if !errors.Is(err, socket.ErrWouldBlock) {
			t.Fatal(err)
		}
		// Full. The writer may still be moving a batch into the kernel:
		// wait for room, and call the receiver stalled once none comes
		// for a second.
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		err = cli.Send(c, body())
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		must(t, err)
		sent++
	}
	after := memStats()
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d messages of %d bytes queued ahead of a stalled receiver (%d MiB on the wire); heap in use grew by %d KiB",
		sent, size, sent*(size+2)>>20, grown>>10)
	if sent >= tries {
		t.Fatalf("all %d messages were taken: nothing bounds the queues", tries)
	}
	if sent < 2*socket.DefaultHWM {
		t.Fatalf("only %d messages queued: the pipes did not fill", sent)
	}
	if grown > 64<<20 {
		t.Fatalf("heap in use grew by %d MiB with a stalled receiver, want under 64 MiB", grown>>20)
	}
}
