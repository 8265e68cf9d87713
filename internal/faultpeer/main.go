// Command faultpeer is a zmesh peer that fault tests run as a subprocess, so
// it can be killed with SIGKILL, frozen with SIGSTOP and thawed with SIGCONT
// while the zmesh socket under test (in the test's own process) watches. It
// also plays the abuser: many raw connections that send junk or stall in the
// middle of the ZMTP greeting or handshake.
//
// Its command line and output follow internal/interop's zpeer where they
// overlap, so tests drive both with interop.Peer (see the harness package
// beside this one, which builds faultpeer and starts it):
//
//	faultpeer --type client|server|scatter|gather
//	          [--bind EP] [--connect EP]
//	          --mode sink|echo|send|reqrep|idle|abuse
//	          [--count N] [--size BYTES] [--timeout D] [--retry D]
//	          [--heartbeat-ivl D] [--heartbeat-timeout D] [--heartbeat-ttl D]
//	          [--reconnect-ivl D] [--handshake-timeout D] [--linger D]
//	          [--sndhwm N] [--rcvhwm N] [--max-msg-size N] [--max-conns N]
//	          [--monitor] [--cpuprofile FILE]
//	          [--conns N] [--pause D] [--kinds k1,k2,...]   (abuse)
//
// Durations are Go durations ("250ms"). Messages are interop.Pattern
// messages: the first 4 bytes are the sequence number, big-endian.
//
// Output lines (stdout):
//
//	bound <endpoint>     after the bind (the port resolved)
//	ready                after binds and connects
//	r <seq>              sink: a message was received (written in batches,
//	                     flushed whenever no further message is waiting, so a
//	                     killed sink has printed everything it had dequeued
//	                     before its last wait)
//	ok <seq>             reqrep: the reply to request seq arrived
//	retry <seq>          reqrep: no reply within --retry; request seq is sent again
//	count <n>            bench: on each SIGUSR1, the round trips done so far
//	event <type> <err>   --monitor: a socket event
//	abusing              abuse: every slot has dialled once
//	done <what>=<n>      the mode's work is finished
//
// Exit status: 0 success; 1 failure (printed on stderr); 2 the --timeout
// passed; 64 bad command line.
//
// Modes:
//
//   - sink (server, gather): receive until --count messages (0: until killed
//     or --timeout), print "r <seq>" for each.
//   - echo (server): send every message back to its sender.
//   - send (client, scatter): send --count messages, blocking at the
//     high-water mark, then close (waiting per --linger).
//   - reqrep (client): for seq in 0..count-1 send request seq and wait for
//     its reply; after --retry without it, send it again (replies to older
//     requests are ignored), as a reliable client over CLIENT must.
//   - bench (client): request/reply with --size bodies, without end and
//     without printing each; SIGUSR1 prints the count so far, so a test can
//     measure throughput over windows of its choosing.
//   - idle: stay connected until killed or --timeout.
//   - abuse (no socket; --connect tcp://host:port): keep --conns raw
//     connections open, each of a kind (--kinds, assigned round robin):
//     silent (connects, sends nothing), junk (random bytes), halfgreeting
//     (20 bytes of the greeting), greeting (the whole greeting, no READY),
//     halfready (greeting and the first bytes of READY), trickle (the
//     greeting one byte every 50 ms), huge (greeting and a command frame
//     announcing 2^40 bytes), badmech (a greeting for another mechanism).
//     Each slot reads and discards whatever the server sends until the server
//     closes the connection and dials again, at most once per --pause (give
//     or take half, so the slots do not redial in step). Runs until killed
//     or --timeout.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

const (
	exitOK      = 0
	exitFail    = 1
	exitTimeout = 2
	exitUsage   = 64
)

type config struct {
	typ, bind, connect, mode string
	count, size              int
	timeout, retry           time.Duration
	hb                       socket.Heartbeat
	reconnect, handshake     time.Duration
	linger                   time.Duration
	sndhwm, rcvhwm           int
	maxMsgSize               int64
	maxConns                 int
	monitor                  bool
	conns                    int
	pause                    time.Duration
	kinds                    string
	cpuprofile               string
}

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	var c config
	fs := flag.NewFlagSet("faultpeer", flag.ContinueOnError)
	fs.StringVar(&c.typ, "type", "", "client|server|scatter|gather")
	fs.StringVar(&c.bind, "bind", "", "endpoint to bind")
	fs.StringVar(&c.connect, "connect", "", "endpoint to connect to")
	fs.StringVar(&c.mode, "mode", "", "sink|echo|send|reqrep|idle|abuse")
	fs.IntVar(&c.count, "count", 0, "messages (0: no end)")
	fs.IntVar(&c.size, "size", 16, "message size in bytes")
	fs.DurationVar(&c.timeout, "timeout", time.Minute, "bound on the whole run (0: none)")
	fs.DurationVar(&c.retry, "retry", time.Second, "reqrep: resend a request after this long without its reply")
	fs.DurationVar(&c.hb.Interval, "heartbeat-ivl", 0, "heartbeat interval")
	fs.DurationVar(&c.hb.Timeout, "heartbeat-timeout", 0, "heartbeat timeout")
	fs.DurationVar(&c.hb.TTL, "heartbeat-ttl", 0, "heartbeat TTL")
	fs.DurationVar(&c.reconnect, "reconnect-ivl", 0, "reconnect interval")
	fs.DurationVar(&c.handshake, "handshake-timeout", 0, "handshake timeout")
	fs.DurationVar(&c.linger, "linger", 0, "linger at close")
	fs.IntVar(&c.sndhwm, "sndhwm", 0, "send high-water mark")
	fs.IntVar(&c.rcvhwm, "rcvhwm", 0, "receive high-water mark")
	fs.Int64Var(&c.maxMsgSize, "max-msg-size", 0, "maximum message size (0: none)")
	fs.IntVar(&c.maxConns, "max-conns", 0, "maximum connections (0: none)")
	fs.BoolVar(&c.monitor, "monitor", false, "print socket events")
	fs.IntVar(&c.conns, "conns", 100, "abuse: connections kept open")
	fs.DurationVar(&c.pause, "pause", 100*time.Millisecond, "abuse: a slot dials at most once per pause")
	fs.StringVar(&c.kinds, "kinds", strings.Join(abuseKinds, ","), "abuse: kinds of connection, assigned round robin")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "faultpeer:", err)
			return exitFail
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "faultpeer:", err)
			return exitFail
		}
		defer pprof.StopCPUProfile()
	}
	if c.size < 4 && c.mode != "abuse" {
		fmt.Fprintln(os.Stderr, "faultpeer: --size must be at least 4 (the sequence number)")
		return exitUsage
	}
	ctx := context.Background()
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	var err error
	if c.mode == "abuse" {
		err = abuse(ctx, &c, out)
	} else {
		err = serve(ctx, &c, out)
	}
	out.Flush()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "faultpeer:", err)
		return exitUsage
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintln(out, "timeout")
		return exitTimeout
	default:
		fmt.Fprintln(os.Stderr, "faultpeer:", err)
		return exitFail
	}
}

var errUsage = errors.New("usage")

// sock is what the modes need from the four socket types.
type sock interface {
	Bind(string) error
	Connect(string) error
	LastEndpoint() (string, error)
	Monitor() <-chan socket.Event
	Close() error
}

// receiver is a socket that receives (client, server, gather).
type receiver interface {
	Recv(context.Context) (socket.Msg, error)
	TryRecv() (socket.Msg, error)
}

// sender is a socket that sends round-robin (client, scatter).
type sender interface {
	Send(context.Context, []byte) error
}

func serve(ctx context.Context, c *config, out *bufio.Writer) error {
	opts := socket.Options{
		Heartbeat:         c.hb,
		ReconnectInterval: c.reconnect,
		HandshakeTimeout:  c.handshake,
		Linger:            c.linger,
		SendHWM:           c.sndhwm,
		RecvHWM:           c.rcvhwm,
		MaxMsgSize:        c.maxMsgSize,
		MaxConnections:    c.maxConns,
	}
	var (
		s   sock
		err error
	)
	switch c.typ {
	case "client":
		s, err = patterns.NewClient(nil, opts)
	case "server":
		s, err = patterns.NewServer(nil, opts)
	case "scatter":
		s, err = patterns.NewScatter(nil, opts)
	case "gather":
		s, err = patterns.NewGather(nil, opts)
	default:
		return fmt.Errorf("%w: --type %q", errUsage, c.typ)
	}
	if err != nil {
		return err
	}
	var mu sync.Mutex // orders writes to out between the mode and the monitor
	var monDone chan struct{}
	if c.monitor {
		mon := s.Monitor()
		monDone = make(chan struct{})
		go func() {
			defer close(monDone)
			for e := range mon {
				mu.Lock()
				fmt.Fprintf(out, "event %s %v\n", e.Type, e.Err)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	defer func() {
		s.Close()
		if monDone != nil {
			<-monDone
		}
	}()
	if c.bind != "" {
		if err := bindRetry(ctx, s, c.bind); err != nil {
			return err
		}
		ep, _ := s.LastEndpoint()
		mu.Lock()
		fmt.Fprintf(out, "bound %s\n", ep)
		out.Flush()
		mu.Unlock()
	}
	if c.connect != "" {
		if err := s.Connect(c.connect); err != nil {
			return err
		}
	}
	lockedOut := &syncWriter{mu: &mu, w: out}
	var usr1 chan os.Signal
	if c.mode == "bench" {
		// Before "ready": SIGUSR1's default action would end the process.
		usr1 = make(chan os.Signal, 16)
		signal.Notify(usr1, syscall.SIGUSR1)
		defer signal.Stop(usr1)
	}
	mu.Lock()
	fmt.Fprintln(out, "ready")
	out.Flush()
	mu.Unlock()
	switch c.mode {
	case "sink":
		r, ok := s.(receiver)
		if !ok {
			return fmt.Errorf("%w: sink needs a receiving --type", errUsage)
		}
		return sink(ctx, r, c.count, lockedOut)
	case "echo":
		srv, ok := s.(*patterns.Server)
		if !ok {
			return fmt.Errorf("%w: echo needs --type server", errUsage)
		}
		return echo(ctx, srv, c.count)
	case "send":
		snd, ok := s.(sender)
		if !ok {
			return fmt.Errorf("%w: send needs --type client or scatter", errUsage)
		}
		return send(ctx, snd, c, lockedOut)
	case "reqrep":
		cli, ok := s.(*patterns.Client)
		if !ok {
			return fmt.Errorf("%w: reqrep needs --type client", errUsage)
		}
		return reqrep(ctx, cli, c, lockedOut)
	case "bench":
		cli, ok := s.(*patterns.Client)
		if !ok {
			return fmt.Errorf("%w: bench needs --type client", errUsage)
		}
		return bench(ctx, cli, c.size, usr1, lockedOut)
	case "idle":
		<-ctx.Done()
		lockedOut.line("done idle")
		return nil
	default:
		return fmt.Errorf("%w: --mode %q", errUsage, c.mode)
	}
}

// bindRetry binds, retrying for a while if the address is still taken (a
// restarted peer rebinding its predecessor's port).
func bindRetry(ctx context.Context, s sock, ep string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Bind(ep)
		if err == nil || !errors.Is(err, socket.ErrAddrInUse) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// syncWriter serialises the mode's output with the monitor's.
type syncWriter struct {
	mu *sync.Mutex
	w  *bufio.Writer
}

func (w *syncWriter) line(format string, args ...any) {
	w.mu.Lock()
	fmt.Fprintf(w.w, format+"\n", args...)
	w.w.Flush()
	w.mu.Unlock()
}

// seqLine appends "<prefix> <seq>\n" without flushing.
func (w *syncWriter) seqLine(prefix string, seq uint32) {
	var b [32]byte
	line := append(append(b[:0], prefix...), ' ')
	line = strconv.AppendUint(line, uint64(seq), 10)
	line = append(line, '\n')
	w.mu.Lock()
	w.w.Write(line)
	w.mu.Unlock()
}

func (w *syncWriter) flush() {
	w.mu.Lock()
	w.w.Flush()
	w.mu.Unlock()
}

func sink(ctx context.Context, s receiver, count int, out *syncWriter) error {
	for n := 0; count == 0 || n < count; n++ {
		m, err := s.TryRecv()
		if errors.Is(err, socket.ErrWouldBlock) {
			out.flush() // nothing waiting: make what we have visible first
			m, err = s.Recv(ctx)
		}
		if err != nil {
			out.flush()
			return err
		}
		seq, err := interop.PatternSeq(m.Body)
		if err != nil {
			out.flush()
			return fmt.Errorf("message %d: %w", n, err)
		}
		out.seqLine("r", seq)
	}
	out.line("done recv=%d", count)
	return nil
}

func echo(ctx context.Context, srv *patterns.Server, count int) error {
	for n := 0; count == 0 || n < count; n++ {
		m, err := srv.Recv(ctx)
		if err != nil {
			return err
		}
		if err := srv.Route(ctx, m.Body, m.RoutingID); err != nil && !errors.Is(err, socket.ErrHostUnreachable) {
			return err
		}
	}
	return nil
}

func send(ctx context.Context, s sender, c *config, out *syncWriter) error {
	for seq := 0; c.count == 0 || seq < c.count; seq++ {
		if err := s.Send(ctx, interop.Pattern(seq, c.size)); err != nil {
			return err
		}
	}
	out.line("done sent=%d", c.count)
	return nil
}

func reqrep(ctx context.Context, cli *patterns.Client, c *config, out *syncWriter) error {
	for seq := 0; c.count == 0 || seq < c.count; seq++ {
		if err := cli.Send(ctx, interop.Pattern(seq, c.size)); err != nil {
			return err
		}
		deadline := time.Now().Add(c.retry)
		for {
			rctx, cancel := context.WithDeadline(ctx, deadline)
			m, err := cli.Recv(rctx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					out.flush()
					return ctx.Err()
				}
				// No reply in time: the request or its reply went down with
				// a connection. Send it again.
				out.seqLine("retry", uint32(seq))
				out.flush()
				if err := cli.Send(ctx, interop.Pattern(seq, c.size)); err != nil {
					return err
				}
				deadline = time.Now().Add(c.retry)
				continue
			}
			got, err := interop.PatternSeq(m.Body)
			if err != nil {
				return fmt.Errorf("reply to %d: %w", seq, err)
			}
			if got < uint32(seq) {
				continue // the reply to an earlier copy of a retried request
			}
			if got > uint32(seq) {
				return fmt.Errorf("reply %d to request %d", got, seq)
			}
			break
		}
		out.seqLine("ok", uint32(seq))
		out.flush()
	}
	out.line("done reqrep=%d", c.count)
	return nil
}

func bench(ctx context.Context, cli *patterns.Client, size int, usr1 <-chan os.Signal, out *syncWriter) error {
	ctx, cancel := context.WithCancel(ctx)
	var n atomic.Int64
	reported := make(chan struct{})
	defer func() { cancel(); <-reported }()
	go func() {
		defer close(reported)
		for {
			select {
			case <-usr1:
				out.line("count %d", n.Load())
			case <-ctx.Done():
				return
			}
		}
	}()
	for seq := 0; ; seq++ {
		body := interop.Pattern(seq, size)
		if err := cli.Send(ctx, body); err != nil {
			return err
		}
		m, err := cli.Recv(ctx)
		if err != nil {
			return err
		}
		if got, err := interop.PatternSeq(m.Body); err != nil || got != uint32(seq) {
			return fmt.Errorf("round trip %d: reply %d (%v)", seq, got, err)
		}
		n.Add(1)
	}
}

// abuseKinds are the kinds of abusive connection, in round-robin order.
var abuseKinds = []string{"silent", "junk", "halfgreeting", "greeting", "halfready", "trickle", "huge", "badmech"}

func zmtpGreeting(mech string) []byte { return zmtp.NewGreeting(mech, false).Append(nil) }

func abuse(ctx context.Context, c *config, out *bufio.Writer) error {
	addr, ok := strings.CutPrefix(c.connect, "tcp://")
	if !ok || c.conns <= 0 {
		return fmt.Errorf("%w: abuse needs --connect tcp://host:port and --conns > 0", errUsage)
	}
	kinds := strings.Split(c.kinds, ",")
	for _, k := range kinds {
		if !isKind(k) {
			return fmt.Errorf("%w: unknown abuse kind %q", errUsage, k)
		}
	}
	raiseFileLimit(uint64(c.conns) + 256)
	var (
		first  sync.WaitGroup
		wg     sync.WaitGroup
		dials  atomic.Int64
		failed atomic.Int64
	)
	first.Add(c.conns)
	for i := 0; i < c.conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			abuseSlot(ctx, addr, kinds[i%len(kinds)], c.pause, &first, &dials, &failed, i)
		}(i)
	}
	first.Wait()
	fmt.Fprintln(out, "abusing")
	out.Flush()
	wg.Wait()
	fmt.Fprintf(out, "done dials=%d failed=%d\n", dials.Load(), failed.Load())
	return ctx.Err()
}

func isKind(k string) bool {
	for _, x := range abuseKinds {
		if x == k {
			return true
		}
	}
	return false
}

// abuseSlot keeps one abusive connection of the given kind open, dialling
// again whenever the server closes it, but at most once per pause (give or
// take half, so the slots drift out of step): a slot that stalls is back as
// soon as the server drops it, one the server refuses at once does not spin.
func abuseSlot(ctx context.Context, addr, kind string, pause time.Duration, first *sync.WaitGroup, dials, failed *atomic.Int64, i int) {
	var d net.Dialer
	rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
	once := sync.OnceFunc(first.Done)
	defer once()
	for ctx.Err() == nil {
		next := time.Now().Add(pause/2 + time.Duration(rng.Int64N(int64(pause)+1)))
		nc, err := d.DialContext(ctx, "tcp", addr)
		once()
		if err != nil {
			failed.Add(1)
		} else {
			dials.Add(1)
			abuseConn(ctx, nc, kind, rng)
		}
		select {
		case <-time.After(time.Until(next)):
		case <-ctx.Done():
		}
	}
}

func abuseConn(ctx context.Context, nc net.Conn, kind string, rng *rand.Rand) {
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	g := zmtpGreeting("NULL")
	switch kind {
	case "silent":
	case "junk":
		junk := make([]byte, 1+rng.IntN(512))
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		junk[0] = 'G' // never a signature byte: the server must refuse at once
		nc.Write(junk)
	case "halfgreeting":
		nc.Write(g[:20])
	case "greeting":
		nc.Write(g)
	case "halfready":
		ready := zmtp.AppendFrame(nil, zmtp.FlagCommand, zmtp.AppendReady(nil, zmtp.Metadata{{Name: "Socket-Type", Value: "CLIENT"}}))
		nc.Write(append(g, ready[:5]...)) // flags, size, name length, "RE"
	case "huge":
		nc.Write(zmtp.AppendHeader(g, zmtp.FlagCommand, 1<<40)) // a command of 2^40 bytes
	case "badmech":
		nc.Write(zmtpGreeting("CURVE"))
	case "trickle":
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for _, b := range g {
				select {
				case <-t.C:
				case <-done:
					return
				}
				if _, err := nc.Write([]byte{b}); err != nil {
					return
				}
			}
		}()
	}
	// Whatever the server says (its greeting, READY) is read and dropped
	// until it closes the connection.
	io.Copy(io.Discard, nc)
}

// raiseFileLimit lifts the soft limit on open files to at least n, as far
// as the hard limit allows.
func raiseFileLimit(n uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur >= n {
		return
	}
	rl.Cur = min(n, rl.Max)
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
}
