package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// The classic pairs of `zmesh bench --type`. The bind side is the one
// libzmq's perf tools bind (local_thr: PULL, local_lat: REP), so either
// end can be a libzmq tool:
//
//	type           thr --bind   thr --connect   lat --bind      lat --connect
//	push-pull      PULL         PUSH            -               -
//	pub-sub        SUB          PUB (XPUB)      -               -
//	dealer-router  ROUTER       DEALER          ROUTER (echo)   DEALER
//	req-rep        -            -               REP (echo)      REQ
var classicBenchTypes = map[string]struct{ thr, lat bool }{
	"push-pull":     {thr: true},
	"pub-sub":       {thr: true},
	"dealer-router": {thr: true, lat: true},
	"req-rep":       {lat: true},
}

// isClassicBench reports whether typ names a classic pair.
func isClassicBench(typ string) bool {
	_, ok := classicBenchTypes[typ]
	return ok
}

// checkClassicBench validates the flags of a classic-pair run.
func checkClassicBench(cfg *benchConfig) error {
	modes := classicBenchTypes[cfg.typ]
	switch {
	case cfg.mode == "hs":
		return fmt.Errorf("hs measures CLIENT connections: leave --type out")
	case cfg.mode == "thr" && !modes.thr:
		return fmt.Errorf("--type %s is lockstep: measure it with lat", cfg.typ)
	case cfg.mode == "lat" && !modes.lat:
		return fmt.Errorf("--type %s is one-way: measure it with thr", cfg.typ)
	case strings.HasPrefix(cfg.bind+cfg.connect, "inproc://"):
		return fmt.Errorf("--type %s runs between two processes: use tcp or ipc", cfg.typ)
	case cfg.topics < 0:
		return fmt.Errorf("--topics must be >= 0")
	case cfg.topics > 0 && cfg.typ != "pub-sub":
		return fmt.Errorf("--topics is for --type pub-sub")
	case cfg.topics > 0 && cfg.size < topicLen:
		return fmt.Errorf("--topics needs --size >= %d (each message starts with its topic)", topicLen)
	case strings.Contains(cfg.connect, ",") && cfg.typ != "pub-sub":
		return fmt.Errorf("several --connect endpoints are for --type pub-sub (one PUB, many SUBs)")
	}
	return nil
}

// topicLen is the length of the pub-sub bench topics: "t" and 5 digits.
const topicLen = 6

// benchTopic writes topic i into b (len(b) >= topicLen).
func benchTopic(b []byte, i int) {
	copy(b, fmt.Sprintf("t%05d", i%100000))
}

// classicEnd is one end of a classic pair, seen through frames.
type classicEnd struct {
	sock interface {
		Bind(string) error
		Connect(string) error
		LastEndpoint() (string, error)
		Close() error
	}
	send func(context.Context, ...[]byte) error
	recv func(context.Context) ([][]byte, error)
	// recvMsg, where the type has it (PULL, SUB), is what the throughput
	// receiver uses: each message released once checked, as libzmq's
	// local_thr closes each zmq_msg_t, so its memory serves the next.
	recvMsg func(context.Context) (socket.Msg, error)
	// subscribed, for a PUB, waits until n subscriptions have arrived.
	subscribed func(ctx context.Context, n int) error
	mon        <-chan socket.Event
}

// newClassicBound makes the bind side of cfg's pair.
func newClassicBound(zctx *socket.Ctx, cfg benchConfig) (*classicEnd, error) {
	o := cfg.srvOpts
	switch {
	case cfg.typ == "push-pull":
		s, err := patterns.NewPull(zctx, o)
		if err != nil {
			return nil, err
		}
		return &classicEnd{sock: s, recv: s.RecvFrames, recvMsg: s.RecvMsg}, nil
	case cfg.typ == "pub-sub":
		s, err := patterns.NewSub(zctx, o)
		if err != nil {
			return nil, err
		}
		if err := subscribeBench(s, cfg.topics); err != nil {
			s.Close()
			return nil, err
		}
		return &classicEnd{sock: s, recv: s.RecvFrames, recvMsg: s.RecvMsg}, nil
	case cfg.typ == "req-rep":
		s, err := patterns.NewRep(zctx, o)
		if err != nil {
			return nil, err
		}
		return &classicEnd{sock: s, send: s.SendFrames, recv: s.RecvFrames}, nil
	default: // dealer-router
		s, err := patterns.NewRouter(zctx, o)
		if err != nil {
			return nil, err
		}
		return &classicEnd{sock: s, send: s.SendFrames, recv: s.RecvFrames}, nil
	}
}

// subscribeBench subscribes to every message (topics 0) or to topics
// t00000, t00001, ...
func subscribeBench(s *patterns.Sub, topics int) error {
	if topics == 0 {
		return s.Subscribe(nil)
	}
	t := make([]byte, topicLen)
	for i := 0; i < topics; i++ {
		benchTopic(t, i)
		if err := s.Subscribe(t); err != nil {
			return err
		}
	}
	return nil
}

// newClassicConnecting makes the connect side of cfg's pair.
func newClassicConnecting(zctx *socket.Ctx, cfg benchConfig) (*classicEnd, error) {
	o := cfg.cliOpts
	switch cfg.typ {
	case "push-pull":
		s, err := patterns.NewPush(zctx, o)
		if err != nil {
			return nil, err
		}
		return &classicEnd{sock: s, send: s.SendFrames, mon: s.Monitor()}, nil
	case "pub-sub":
		// An XPUB is a PUB that shows its subscriptions: with verbose on it
		// hands up every one, so the run starts once all SUBs are in, and
		// with nodrop it waits at the high-water mark instead of dropping,
		// so every SUB gets every message it subscribed to (libzmq's
		// ZMQ_XPUB_VERBOSE and ZMQ_XPUB_NODROP).
		o.XPubVerbose, o.XPubNoDrop = true, true
		s, err := patterns.NewXPub(zctx, o)
		if err != nil {
			return nil, err
		}
		wait := func(ctx context.Context, n int) error {
			for got := 0; got < n; {
				m, err := s.RecvFrames(ctx)
				if err != nil {
					return fmt.Errorf("waiting for subscriptions (%d of %d): %w", got, n, err)
				}
				if len(m) == 1 && len(m[0]) > 0 && m[0][0] == 1 {
					got++
				}
			}
			return nil
		}
		return &classicEnd{sock: s, send: s.SendFrames, subscribed: wait}, nil
	case "req-rep":
		s, err := patterns.NewReq(zctx, o)
		if err != nil {
			return nil, err
		}
		return &classicEnd{sock: s, send: s.SendFrames, recv: s.RecvFrames, mon: s.Monitor()}, nil
	default: // dealer-router
		s, err := patterns.NewDealer(zctx, o)
		if err != nil {
			return nil, err
		}
		return &classicEnd{sock: s, send: s.SendFrames, recv: s.RecvFrames, mon: s.Monitor()}, nil
	}
}

// runClassicBench runs a classic-pair bench; res is nil for the echoing
// side, which runs until ctx ends.
func runClassicBench(ctx context.Context, zctx *socket.Ctx, cfg benchConfig, stdout, stderr io.Writer) (*benchResult, error) {
	if cfg.bind != "" {
		end, err := newClassicBound(zctx, cfg)
		if err != nil {
			return nil, err
		}
		defer end.sock.Close()
		if err := end.sock.Bind(cfg.bind); err != nil {
			return nil, err
		}
		ep, _ := end.sock.LastEndpoint()
		if cfg.mode == "lat" {
			fmt.Fprintln(stdout, "bound", ep)
			return nil, classicEcho(ctx, end)
		}
		fmt.Fprintln(stderr, "bound", ep)
		d, err := classicReceiveAll(ctx, end, cfg, stderr)
		if err != nil {
			return nil, err
		}
		return thrResult("recv", cfg, ep, d), nil
	}
	end, err := newClassicConnecting(zctx, cfg)
	if err != nil {
		return nil, err
	}
	defer end.sock.Close()
	eps := strings.Split(cfg.connect, ",")
	for _, ep := range eps {
		if err := end.sock.Connect(ep); err != nil {
			return nil, err
		}
	}
	switch {
	case end.subscribed != nil:
		if err := end.subscribed(ctx, len(eps)*max(cfg.topics, 1)); err != nil {
			return nil, err
		}
	case end.mon != nil:
		if err := waitHandshake(end.mon)(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.mode == "lat" {
		return classicLatency(ctx, end, cfg, stderr)
	}
	d, err := classicSendAll(ctx, end, cfg)
	if err != nil {
		return nil, err
	}
	end.sock.Close() // lingers until everything is written
	return thrResult("send", cfg, cfg.connect, d), nil
}

// lastFrame is a message's body: a ROUTER's first frame is the routing id.
func lastFrame(m [][]byte) []byte {
	if len(m) == 0 {
		return nil
	}
	return m[len(m)-1]
}

// receiveLen receives a message and returns the length of its body (its
// last frame), releasing it where the type allows.
func (e *classicEnd) receiveLen(ctx context.Context) (int, error) {
	if e.recvMsg == nil {
		m, err := e.recv(ctx)
		return len(lastFrame(m)), err
	}
	m, err := e.recvMsg(ctx)
	if err != nil {
		return 0, err
	}
	n := len(m.Body)
	if len(m.Frames) > 0 {
		n = len(m.Frames[len(m.Frames)-1])
	}
	m.Release()
	return n, nil
}

// classicReceiveAll receives cfg.count messages, timing from the first, as
// receiveAll does.
func classicReceiveAll(ctx context.Context, end *classicEnd, cfg benchConfig, stderr io.Writer) (time.Duration, error) {
	var start time.Time
	next := time.Now().Add(cfg.progress)
	for i := 0; i < cfg.count; i++ {
		n, err := end.receiveLen(ctx)
		if err != nil {
			return 0, fmt.Errorf("after %d of %d messages: %w", i, cfg.count, err)
		}
		if i == 0 {
			start = time.Now()
		}
		if n != cfg.size {
			return 0, fmt.Errorf("message %d is %d bytes, want %d", i, n, cfg.size)
		}
		if cfg.progress > 0 && i&0x3ff == 0 && time.Now().After(next) {
			fmt.Fprintf(stderr, "received %d/%d (%.0f msg/s)\n", i, cfg.count, float64(i)/time.Since(start).Seconds())
			next = time.Now().Add(cfg.progress)
		}
	}
	return time.Since(start), nil
}

// classicSendAll sends cfg.count messages (pub-sub: each starting with the
// next topic in turn).
func classicSendAll(ctx context.Context, end *classicEnd, cfg benchConfig) (time.Duration, error) {
	body := make([]byte, cfg.size)
	start := time.Now()
	for i := 0; i < cfg.count; i++ {
		if cfg.topics > 0 {
			body = make([]byte, cfg.size) // a sent body may still be queued: never rewrite it
			benchTopic(body, i%cfg.topics)
		}
		if err := end.send(ctx, body); err != nil {
			return 0, fmt.Errorf("message %d: %w", i, err)
		}
	}
	return time.Since(start), nil
}

// classicEcho sends every request back until ctx ends: a REP answers the
// request (its envelope is kept for it), a ROUTER sends the message back to
// the routing id it came from.
func classicEcho(ctx context.Context, end *classicEnd) error {
	for {
		m, err := end.recv(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if err := end.send(ctx, m...); err != nil && !errors.Is(err, socket.ErrHostUnreachable) {
			return err
		}
	}
}

// classicLatency makes cfg.count round trips through a REQ or a DEALER.
func classicLatency(ctx context.Context, end *classicEnd, cfg benchConfig, stderr io.Writer) (*benchResult, error) {
	body := make([]byte, cfg.size)
	return measureRoundTrips(ctx, cfg, stderr, func() error {
		if err := end.send(ctx, body); err != nil {
			return err
		}
		m, err := end.recv(ctx)
		if err != nil {
			return err
		}
		if n := len(lastFrame(m)); n != cfg.size {
			return fmt.Errorf("reply is %d bytes, want %d", n, cfg.size)
		}
		return nil
	})
}
