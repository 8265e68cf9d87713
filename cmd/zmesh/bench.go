package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// benchConfig is what both bench modes take.
type benchConfig struct {
	mode          string // "thr" or "lat"
	bind, connect string
	size, count   int
	typ           string // scatter, client, radio, or a classic pair (push-pull, ...)
	topics        int    // pub-sub: subscriptions per SUB (0: one to everything)
	json          bool
	hwm           int
	progress      time.Duration
	mechanism     string
	serverSecret  string
	opts          socket.Options
	// srvOpts and cliOpts are opts with the bind side's and the connect
	// side's mechanism.
	srvOpts, cliOpts socket.Options
}

// benchServerSecret is the CURVE server secret of libzmq's own tests
// (tests/testutil_security.cpp), so zmesh bench and libzmq's perf tools
// can share keys. It is
// public knowledge: for benchmarks only.
const benchServerSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

// mechanisms returns the bind side's and the connect side's mechanism.
func (cfg *benchConfig) mechanisms() (server, client mechanism.Mechanism, err error) {
	if cfg.mechanism == "null" {
		return nil, nil, nil
	}
	sec, err := mechanism.ParseSecretKey(cfg.serverSecret)
	if err != nil {
		return nil, nil, fmt.Errorf("--server-secret: %w", err)
	}
	switch cfg.mechanism {
	case "curve":
		return &mechanism.CurveServer{SecretKey: sec}, &mechanism.CurveClient{ServerKey: sec.Public()}, nil
	case "noise":
		return &mechanism.NoiseServer{SecretKey: sec}, &mechanism.NoiseClient{ServerKey: sec.Public()}, nil
	}
	return nil, nil, fmt.Errorf("--mechanism %q: want null, curve or noise", cfg.mechanism)
}

func benchUsage(w io.Writer) {
	fmt.Fprint(w, `usage: zmesh bench thr|lat|hs|conns|store [flags]

thr: throughput, like libzmq's local_thr (--bind: receives) and remote_thr
     (--connect: sends). With an inproc:// endpoint both ends run here.
lat: latency, like libzmq's local_lat (--bind: echoes) and remote_lat
     (--connect: sends --count round trips and prints percentiles).
--type push-pull|pub-sub|dealer-router (thr), req-rep|dealer-router (lat):
     the classic types, the --bind side PULL, SUB, ROUTER or REP, so
     libzmq's perf tools can be either end: remote_thr -> zmesh PULL,
     zmesh PUSH -> local_thr, zmesh REQ -> local_lat, remote_lat -> zmesh REP.
     pub-sub --connect takes several endpoints (a,b,...): one PUB, many SUBs.
hs:  connections per second (--bind: echoes, as lat; --connect: --count
     times a new CLIENT connects, completes the handshake of --mechanism,
     sends one --size message, waits for its echo and closes).
conns: memory per idle connection (zmesh bench conns -h).
store: a storage server's load, puts or gets from many callers, with
     latency percentiles (zmesh bench store -h).

`)
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "store" { // a storage server's load (benchstore.go)
		return runBenchStore(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "conns" {
		return runBenchConns(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "thr" && args[0] != "lat" && args[0] != "hs") {
		benchUsage(stderr)
		return errUsage
	}
	cfg := benchConfig{mode: args[0]}
	fs := flag.NewFlagSet("zmesh bench "+cfg.mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { benchUsage(stderr); fs.PrintDefaults() }
	fs.StringVar(&cfg.bind, "bind", "", "endpoint to bind (thr: the receiver; lat: the echoing side)")
	fs.StringVar(&cfg.connect, "connect", "", "endpoint to connect to (thr: the sender; lat: the measuring side)")
	fs.IntVar(&cfg.size, "size", 16, "message size in bytes")
	defCount := 1000000
	switch cfg.mode {
	case "lat":
		defCount = 100000
	case "hs":
		defCount = 1000
	}
	fs.IntVar(&cfg.count, "count", defCount, "messages (thr), round trips (lat) or connections (hs)")
	fs.StringVar(&cfg.typ, "type", "scatter", "socket pair: scatter (SCATTER→GATHER), client (CLIENT→SERVER), radio (RADIO→DISH); "+
		"classic: push-pull, pub-sub, dealer-router (thr) and req-rep, dealer-router (lat), the --bind side PULL/SUB/ROUTER/REP as libzmq's local_thr/local_lat; lat defaults to client")
	fs.IntVar(&cfg.topics, "topics", 0, "pub-sub: each SUB subscribes to this many topics and the PUB cycles through them (0: one subscription to everything)")
	fs.BoolVar(&cfg.json, "json", false, "print the result as one JSON object")
	fs.IntVar(&cfg.hwm, "hwm", 0, "send and receive high-water marks (0: the default 1000)")
	fs.DurationVar(&cfg.progress, "progress", time.Second, "interval of progress lines on stderr for long runs (0: none)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of this process to `file` (go tool pprof)")
	fs.StringVar(&cfg.mechanism, "mechanism", "null", "security: null, curve or noise (the bind side is the server)")
	fs.StringVar(&cfg.serverSecret, "server-secret", benchServerSecret, "Z85 server secret for curve/noise; both sides derive the server's public key from it (the default is libzmq's public test key)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case cfg.bind == "" && cfg.connect == "":
		return fmt.Errorf("give --bind or --connect (or an inproc:// endpoint for both ends here)")
	case cfg.bind != "" && cfg.connect != "":
		return fmt.Errorf("give --bind or --connect, not both")
	case cfg.size < 0 || cfg.count < 1:
		return fmt.Errorf("--size must be >= 0 and --count >= 1")
	}
	if cfg.mode != "thr" && cfg.typ == "scatter" {
		cfg.typ = "client"
	}
	classic := isClassicBench(cfg.typ)
	switch {
	case classic:
		if err := checkClassicBench(&cfg); err != nil {
			return err
		}
	case cfg.typ != "scatter" && cfg.typ != "client" && cfg.typ != "radio":
		return fmt.Errorf("--type %q: want scatter, client, radio, push-pull, pub-sub, dealer-router or req-rep", cfg.typ)
	case cfg.mode != "thr" && cfg.typ != "client":
		return fmt.Errorf("%s measures round trips: --type client, req-rep or dealer-router", cfg.mode)
	case cfg.topics != 0:
		return fmt.Errorf("--topics is for --type pub-sub")
	}
	cfg.opts = socket.Options{SendHWM: cfg.hwm, RecvHWM: cfg.hwm, Linger: -1}
	srvMech, cliMech, err := cfg.mechanisms()
	if err != nil {
		return err
	}
	ep := cfg.bind + cfg.connect
	if cfg.mechanism != "null" && strings.HasPrefix(ep, "inproc://") {
		return fmt.Errorf("inproc carries no mechanism: use tcp or ipc with --mechanism %s", cfg.mechanism)
	}
	cfg.srvOpts, cfg.cliOpts = cfg.opts, cfg.opts
	cfg.srvOpts.Mechanism, cfg.cliOpts.Mechanism = srvMech, cliMech
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	var res *benchResult
	if strings.HasPrefix(ep, "inproc://") && cfg.mode == "hs" {
		return fmt.Errorf("hs measures connections between processes: use tcp or ipc")
	}
	if classic {
		res, err = runClassicBench(ctx, zctx, cfg, stdout, stderr)
		if res == nil || err != nil {
			return err
		}
	} else if strings.HasPrefix(ep, "inproc://") {
		res, err = benchBoth(ctx, zctx, cfg, ep, stderr)
	} else if cfg.mode == "thr" && cfg.bind != "" {
		res, err = benchReceive(ctx, zctx, cfg, stderr)
	} else if cfg.mode == "thr" {
		res, err = benchSend(ctx, zctx, cfg, stderr)
	} else if cfg.bind != "" {
		return benchEcho(ctx, zctx, cfg, stdout)
	} else if cfg.mode == "hs" {
		res, err = benchHandshakes(ctx, zctx, cfg, stderr)
	} else {
		res, err = benchLatency(ctx, zctx, cfg, stderr)
	}
	if err != nil {
		return err
	}
	return res.print(stdout, cfg.json)
}

// benchResult is one measurement.
type benchResult struct {
	Mode       string             `json:"mode"`
	Role       string             `json:"role"`
	Type       string             `json:"type"`
	Endpoint   string             `json:"endpoint"`
	Size       int                `json:"size"`
	Count      int                `json:"count"`
	Seconds    float64            `json:"seconds"`
	MsgPerSec  float64            `json:"msg_per_sec,omitempty"`
	MBPerSec   float64            `json:"mb_per_sec,omitempty"`
	LatencyUs  map[string]float64 `json:"latency_us,omitempty"`         // round trip percentiles
	OneWayUs   float64            `json:"one_way_us,omitempty"`         // mean round trip / 2, as libzmq's remote_lat reports
	PerSec     float64            `json:"handshakes_per_sec,omitempty"` // hs: whole connections per second
	Mechanism  string             `json:"mechanism"`
	Percentile []string           `json:"-"`
}

func (r *benchResult) print(w io.Writer, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	if r.Mode == "thr" {
		_, err := fmt.Fprintf(w, "%s %s %s: %d messages of %d B in %.3fs: %.0f msg/s, %.1f MB/s (%.1f Mb/s)\n",
			r.Mode, r.Role, r.Endpoint, r.Count, r.Size, r.Seconds, r.MsgPerSec, r.MBPerSec, r.MBPerSec*8)
		return err
	}
	if r.Mode == "hs" {
		_, err := fmt.Fprintf(w, "hs %s: %d connections (%s handshake, one %d B round trip, close) in %.3fs: %.0f per second\n",
			r.Endpoint, r.Count, r.Mechanism, r.Size, r.Seconds, r.PerSec)
		return err
	}
	var parts []string
	for _, p := range r.Percentile {
		parts = append(parts, fmt.Sprintf("%s %.1f", p, r.LatencyUs[p]))
	}
	_, err := fmt.Fprintf(w, "lat %s: %d round trips of %d B in %.3fs: one-way %.2f us; round trip (us): %s\n",
		r.Endpoint, r.Count, r.Size, r.Seconds, r.OneWayUs, strings.Join(parts, ", "))
	return err
}

func thrResult(role string, cfg benchConfig, ep string, d time.Duration) *benchResult {
	s := d.Seconds()
	return &benchResult{
		Mode: "thr", Role: role, Type: cfg.typ, Endpoint: ep, Size: cfg.size, Count: cfg.count, Seconds: s, Mechanism: cfg.mechanism,
		MsgPerSec: float64(cfg.count) / s, MBPerSec: float64(cfg.count) * float64(cfg.size) / s / 1e6,
	}
}

// receiver is the receiving end of a throughput pair.
type receiver interface {
	Recv(context.Context) (socket.Msg, error)
	Close() error
	LastEndpoint() (string, error)
	Bind(string) error
	Connect(string) error
}

// sender is the sending end of a throughput pair.
type sender struct {
	send  func(context.Context, []byte) error
	sock  interface{ Close() error }
	base  interface{ Connect(string) error }
	ready func(context.Context) error // waits until messages will be delivered
}

func newReceiver(zctx *socket.Ctx, cfg benchConfig) (receiver, error) {
	switch cfg.typ {
	case "client":
		return patterns.NewServer(zctx, cfg.srvOpts)
	case "radio":
		d, err := patterns.NewDish(zctx, cfg.srvOpts)
		if err != nil {
			return nil, err
		}
		return d, d.Join("bench")
	}
	return patterns.NewGather(zctx, cfg.srvOpts)
}

func newSender(zctx *socket.Ctx, cfg benchConfig) (*sender, error) {
	switch cfg.typ {
	case "client":
		c, err := patterns.NewClient(zctx, cfg.cliOpts)
		if err != nil {
			return nil, err
		}
		return &sender{send: c.Send, sock: c, base: c, ready: waitHandshake(c.Monitor())}, nil
	case "radio":
		r, err := patterns.NewRadio(zctx, cfg.cliOpts, patterns.RadioOptions{NoDrop: true})
		if err != nil {
			return nil, err
		}
		mon := r.Monitor()
		send := func(ctx context.Context, b []byte) error { return r.Transmit(ctx, b, "bench") }
		// A radio's messages reach a dish only after its JOIN arrives.
		ready := func(ctx context.Context) error {
			if err := waitHandshake(mon)(ctx); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
			return nil
		}
		return &sender{send: send, sock: r, base: r, ready: ready}, nil
	}
	s, err := patterns.NewScatter(zctx, cfg.cliOpts)
	if err != nil {
		return nil, err
	}
	return &sender{send: s.Send, sock: s, base: s, ready: waitHandshake(s.Monitor())}, nil
}

func waitHandshake(mon <-chan socket.Event) func(context.Context) error {
	return func(ctx context.Context) error {
		for {
			select {
			case e := <-mon:
				if e.Type == socket.EventHandshakeSucceeded {
					return nil
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// receiveAll receives cfg.count messages, timing from the first (as
// libzmq's local_thr does), with progress lines on long runs.
func receiveAll(ctx context.Context, r receiver, cfg benchConfig, stderr io.Writer) (time.Duration, error) {
	if _, err := r.Recv(ctx); err != nil {
		return 0, err
	}
	start := time.Now()
	next := start.Add(cfg.progress)
	for i := 1; i < cfg.count; i++ {
		m, err := r.Recv(ctx)
		if err != nil {
			return 0, fmt.Errorf("after %d of %d messages: %w", i, cfg.count, err)
		}
		if len(m.Body) != cfg.size {
			return 0, fmt.Errorf("message %d is %d bytes, want %d", i, len(m.Body), cfg.size)
		}
		m.Release() // as libzmq's local_thr reuses one zmq_msg_t
		if cfg.progress > 0 && i&0x3ff == 0 && time.Now().After(next) {
			fmt.Fprintf(stderr, "received %d/%d (%.0f msg/s)\n", i, cfg.count, float64(i)/time.Since(start).Seconds())
			next = time.Now().Add(cfg.progress)
		}
	}
	return time.Since(start), nil
}

func benchReceive(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, stderr io.Writer) (*benchResult, error) {
	r, err := newReceiver(zctx, cfg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.Bind(cfg.bind); err != nil {
		return nil, err
	}
	ep, _ := r.LastEndpoint()
	fmt.Fprintln(stderr, "bound", ep)
	d, err := receiveAll(ctx, r, cfg, stderr)
	if err != nil {
		return nil, err
	}
	return thrResult("recv", cfg, ep, d), nil
}

func sendAll(ctx context.Context, s *sender, cfg benchConfig) (time.Duration, error) {
	body := make([]byte, cfg.size)
	start := time.Now()
	for i := 0; i < cfg.count; i++ {
		if err := s.send(ctx, body); err != nil {
			return 0, fmt.Errorf("message %d: %w", i, err)
		}
	}
	return time.Since(start), nil
}

func benchSend(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, stderr io.Writer) (*benchResult, error) {
	s, err := newSender(zctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.base.Connect(cfg.connect); err != nil {
		return nil, err
	}
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	d, err := sendAll(ctx, s, cfg)
	if err != nil {
		return nil, err
	}
	s.sock.Close() // lingers until everything is written
	return thrResult("send", cfg, cfg.connect, d), nil
}

// benchBoth runs both ends in this process (inproc).
func benchBoth(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, ep string, stderr io.Writer) (*benchResult, error) {
	if cfg.mode == "lat" {
		srv, err := patterns.NewServer(zctx, cfg.srvOpts)
		if err != nil {
			return nil, err
		}
		if err := srv.Bind(ep); err != nil {
			return nil, err
		}
		ectx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); echo(ectx, srv) }()
		defer func() { cancel(); wg.Wait() }()
		cfg.connect = ep
		return benchLatency(ctx, zctx, cfg, stderr)
	}
	r, err := newReceiver(zctx, cfg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.Bind(ep); err != nil {
		return nil, err
	}
	s, err := newSender(zctx, cfg)
	if err != nil {
		return nil, err
	}
	defer s.sock.Close()
	if err := s.base.Connect(ep); err != nil {
		return nil, err
	}
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	errc := make(chan error, 1)
	go func() { _, err := sendAll(ctx, s, cfg); errc <- err }()
	d, err := receiveAll(ctx, r, cfg, stderr)
	if serr := <-errc; serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return nil, err
	}
	return thrResult("inproc", cfg, ep, d), nil
}

// echo answers every request until ctx ends.
func echo(ctx context.Context, srv *patterns.Server) error {
	for {
		m, err := srv.Recv(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if err := srv.Route(ctx, m.Body, m.RoutingID); err != nil && !errors.Is(err, socket.ErrHostUnreachable) {
			return err
		}
	}
}

func benchEcho(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, stdout io.Writer) error {
	srv, err := patterns.NewServer(zctx, cfg.srvOpts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Bind(cfg.bind); err != nil {
		return err
	}
	ep, _ := srv.LastEndpoint()
	fmt.Fprintln(stdout, "bound", ep)
	return echo(ctx, srv)
}

func benchLatency(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, stderr io.Writer) (*benchResult, error) {
	cli, err := patterns.NewClient(zctx, cfg.cliOpts)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	mon := cli.Monitor()
	if err := cli.Connect(cfg.connect); err != nil {
		return nil, err
	}
	if err := waitHandshake(mon)(ctx); err != nil {
		return nil, err
	}
	body := make([]byte, cfg.size)
	return measureRoundTrips(ctx, cfg, stderr, func() error {
		if err := cli.Send(ctx, body); err != nil {
			return err
		}
		m, err := cli.Recv(ctx)
		if err != nil {
			return err
		}
		defer m.Release()
		if len(m.Body) != cfg.size {
			return fmt.Errorf("reply is %d bytes, want %d", len(m.Body), cfg.size)
		}
		return nil
	})
}

// measureRoundTrips times cfg.count calls of roundTrip and reports their
// percentiles, and the one-way mean as libzmq's remote_lat computes it.
func measureRoundTrips(ctx context.Context, cfg benchConfig, stderr io.Writer, roundTrip func() error) (*benchResult, error) {
	rtts := make([]time.Duration, cfg.count)
	start := time.Now()
	next := start.Add(cfg.progress)
	for i := range rtts {
		t0 := time.Now()
		if err := roundTrip(); err != nil {
			return nil, fmt.Errorf("round trip %d: %w", i, err)
		}
		rtts[i] = time.Since(t0)
		if cfg.progress > 0 && i&0xff == 0 && time.Now().After(next) {
			fmt.Fprintf(stderr, "round trips %d/%d\n", i, cfg.count)
			next = time.Now().Add(cfg.progress)
		}
	}
	total := time.Since(start)
	sort.Slice(rtts, func(a, b int) bool { return rtts[a] < rtts[b] })
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	pct := func(p float64) time.Duration { return rtts[min(len(rtts)-1, int(p*float64(len(rtts))))] }
	res := &benchResult{
		Mode: "lat", Role: "client", Type: cfg.typ, Endpoint: cfg.connect, Size: cfg.size, Count: cfg.count, Mechanism: cfg.mechanism,
		Seconds:  total.Seconds(),
		OneWayUs: us(total) / float64(cfg.count) / 2,
		LatencyUs: map[string]float64{
			"min": us(rtts[0]), "p50": us(pct(0.50)), "p90": us(pct(0.90)), "p99": us(pct(0.99)),
			"p99.9": us(pct(0.999)), "max": us(rtts[len(rtts)-1]),
		},
		Percentile: []string{"min", "p50", "p90", "p99", "p99.9", "max"},
	}
	return res, nil
}

// benchHandshakes connects cfg.count Clients one after another, each
// completing its handshake, one round trip and Close, and reports whole
// connections per second: what a server pays per short-lived peer.
func benchHandshakes(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, stderr io.Writer) (*benchResult, error) {
	body := make([]byte, cfg.size)
	for i := range body {
		body[i] = byte(i)
	}
	// Each round has its reply before it closes, so nothing is left to
	// linger for: Linger 0, as zpeer's rounds set ZMQ_LINGER.
	opts := cfg.cliOpts
	opts.Linger = 0
	one := func(i int) error {
		cli, err := patterns.NewClient(zctx, opts)
		if err != nil {
			return err
		}
		defer cli.Close()
		if err := cli.Connect(cfg.connect); err != nil {
			return err
		}
		if err := cli.Send(ctx, body); err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		m, err := cli.Recv(ctx)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		defer m.Release()
		if !bytes.Equal(m.Body, body) {
			return fmt.Errorf("connection %d: the echo differs from what was sent (%d bytes, want %d)", i, len(m.Body), cfg.size)
		}
		return nil
	}
	start := time.Now()
	next := start.Add(cfg.progress)
	for i := 0; i < cfg.count; i++ {
		if err := one(i); err != nil {
			return nil, err
		}
		if cfg.progress > 0 && time.Now().After(next) {
			fmt.Fprintf(stderr, "connections %d/%d\n", i+1, cfg.count)
			next = time.Now().Add(cfg.progress)
		}
	}
	d := time.Since(start)
	return &benchResult{
		Mode: "hs", Role: "client", Type: cfg.typ, Endpoint: cfg.connect, Size: cfg.size, Count: cfg.count,
		Seconds: d.Seconds(), PerSec: float64(cfg.count) / d.Seconds(), Mechanism: cfg.mechanism,
	}, nil
}
