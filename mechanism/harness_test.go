package mechanism

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// This file is the handshake harness: it runs both ends of any two
// mechanisms over net.Pipe, each through a frameConn that writes and reads
// real ZMTP frames (flags, short or long size, body). Between the two ends
// sits a proxy that forwards frames and lets a test tamper with them.

// frame is one ZMTP frame; flags is the flags byte as it was on the wire,
// FlagLong included.
type frame struct {
	flags byte
	body  []byte
}

// wireFlags is the flags byte of a frame with header h as it was on the
// wire.
func wireFlags(h zmtp.Header) byte {
	if h.Len == zmtp.LongHeaderLen {
		return h.Flags | FlagLong
	}
	return h.Flags
}

// splitFrame decodes the first frame of b and returns it and the rest.
func splitFrame(b []byte) (frame, []byte, error) {
	h, err := zmtp.ParseHeader(b, 0)
	if err != nil {
		return frame{}, nil, err
	}
	if h.Len == 0 || h.Size > len(b)-h.Len {
		return frame{}, nil, io.ErrUnexpectedEOF
	}
	end := h.Len + h.Size
	return frame{wireFlags(h), b[h.Len:end]}, b[end:], nil
}

// maxTestFrame bounds what the harness reads, as an engine's maximum
// message size would.
const maxTestFrame = 8 << 20

// frameConn is the test implementation of Conn: real ZMTP frames over a
// net.Conn, through zmtp's Reader and Writer. It also records every
// command it wrote.
type frameConn struct {
	nc net.Conn
	zr *zmtp.Reader
	zw *zmtp.Writer

	mu      sync.Mutex
	written [][]byte // bodies of the commands written, in order
}

func newFrameConn(nc net.Conn) *frameConn {
	zr := zmtp.NewReader(bufio.NewReader(nc))
	zr.MaxSize = maxTestFrame
	zw := zmtp.NewWriter(nc)
	zw.AllowIllegal = true // the proxy forwards whatever a tamperFunc makes
	return &frameConn{nc: nc, zr: zr, zw: zw}
}

func (f *frameConn) WriteCommand(body []byte) error {
	f.mu.Lock()
	f.written = append(f.written, append([]byte(nil), body...))
	f.mu.Unlock()
	return f.zw.WriteFrame(FlagCommand, body)
}

func (f *frameConn) ReadCommand() ([]byte, error) {
	body, err := f.zr.ReadCommand()
	return body, protocolError(err)
}

func (f *frameConn) commands() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.written...)
}

// readFrame reads one frame; the body is newly allocated. Every writer in
// the harness encodes as libzmq does, so the frame was long exactly when
// its body is over 255 bytes.
func (f *frameConn) readFrame() (frame, error) {
	fr, err := f.zr.ReadFrame()
	if err != nil {
		return frame{}, err
	}
	flags := fr.Flags
	if len(fr.Body) > zmtp.MaxShortSize {
		flags |= FlagLong
	}
	return frame{flags, fr.Body}, nil
}

// writeFrame writes one frame (the size decides FlagLong).
func (f *frameConn) writeFrame(fr frame) error {
	return f.zw.WriteFrame(fr.flags&^FlagLong, fr.body)
}

// direction of a frame through the proxy.
type direction int

const (
	toServer direction = iota
	toClient
)

func (d direction) String() string { return [...]string{"C>S", "S>C"}[d] }

// tamperFunc sees the n-th frame (from 0) going in direction d and returns
// the frames to forward instead (nil drops it).
type tamperFunc func(d direction, n int, f frame) []frame

// outcome is one end's result.
type outcome struct {
	res  *Result
	err  error
	conn *frameConn
}

// pair configures a harness run.
type pair struct {
	client, server Mechanism
	clientAuth     Authenticator // Params.Auth on the connecting side
	serverAuth     Authenticator // Params.Auth on the accepting side
	clientType     string        // socket types; CLIENT and SERVER by default
	serverType     string
	tamper         tamperFunc
	timeout        time.Duration
	closeAfter     bool // close both ends when run returns, not at the test's end
}

// socketPeers is the compatibility rule the harness's CheckPeer applies.
var socketPeers = map[string]string{"CLIENT": "SERVER", "SERVER": "CLIENT", "RADIO": "DISH", "DISH": "RADIO"}

// testGreeting builds a 64-byte ZMTP 3.1 greeting.
func testGreeting(mech string, asServer bool) []byte {
	return zmtp.NewGreeting(mech, asServer).Append(nil)
}

func testParams(typ string, local, peer []byte, accepted bool, auth Authenticator) *Params {
	return &Params{
		SocketType: typ,
		Metadata:   Metadata{{Name: "Socket-Type", Value: typ}},
		CheckPeer: func(md Metadata) error {
			st, ok := md.Get("Socket-Type")
			if !ok {
				return Protocolf("peer sent no Socket-Type")
			}
			if socketPeers[typ] != st {
				return Protocolf("incompatible socket type %q", st)
			}
			return nil
		},
		LocalGreeting: local,
		PeerGreeting:  peer,
		PeerAddress:   "127.0.0.1",
		Accepted:      accepted,
		Auth:          auth,
	}
}

// run performs both handshakes concurrently and returns their outcomes. A
// side that fails closes its connection, as the engine does, which ends the
// other side's wait. Successful sides' connections are closed when the test
// ends.
func (p pair) run(t testing.TB) (cl, sv outcome) {
	t.Helper()
	if p.clientType == "" {
		p.clientType = "CLIENT"
	}
	if p.serverType == "" {
		p.serverType = "SERVER"
	}
	if p.timeout == 0 {
		p.timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()

	cEnd, cProxy := net.Pipe()
	sEnd, sProxy := net.Pipe()
	var wg sync.WaitGroup
	startProxy(&wg, cProxy, sProxy, p.tamper)
	closeAll := func() {
		cEnd.Close()
		sEnd.Close()
		wg.Wait()
	}
	if p.closeAfter {
		defer closeAll()
	} else {
		t.Cleanup(closeAll)
	}

	cg := testGreeting(p.client.Name(), p.client.AsServer())
	sg := testGreeting(p.server.Name(), p.server.AsServer())
	cp := testParams(p.clientType, cg, sg, false, p.clientAuth)
	sp := testParams(p.serverType, sg, cg, true, p.serverAuth)

	cl.conn, sv.conn = newFrameConn(cEnd), newFrameConn(sEnd)
	var hs sync.WaitGroup
	side := func(m Mechanism, o *outcome, params *Params) {
		defer hs.Done()
		stop := context.AfterFunc(ctx, func() { _ = o.conn.nc.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		o.res, o.err = m.Handshake(ctx, o.conn, params)
		if o.err != nil {
			o.conn.nc.Close()
		}
	}
	hs.Add(2)
	go side(p.client, &cl, cp)
	go side(p.server, &sv, sp)
	hs.Wait()
	if ctx.Err() != nil {
		t.Fatalf("handshake did not finish within %v (client: %v, server: %v)", p.timeout, cl.err, sv.err)
	}
	return cl, sv
}

// startProxy forwards frames between the two pipe ends, through tamper if
// set. Each direction has a reader that never blocks on the writer (frames
// queue in between), so two sides may write at once, as NULL's do.
func startProxy(wg *sync.WaitGroup, c, s net.Conn, tamper tamperFunc) {
	closeBoth := sync.OnceFunc(func() { c.Close(); s.Close() })
	forward := func(d direction, from, to net.Conn) {
		q := make(chan frame, 256)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(q)
			src := newFrameConn(from)
			for n := 0; ; n++ {
				f, err := src.readFrame()
				if err != nil {
					return // the writer delivers what is queued, then closes
				}
				out := []frame{f}
				if tamper != nil {
					out = tamper(d, n, f)
				}
				for _, o := range out {
					q <- o
				}
			}
		}()
		go func() {
			defer wg.Done()
			dst := newFrameConn(to)
			for f := range q {
				// A closed destination drops what is still queued for it,
				// but must not close the other direction: frames queued
				// there (an ERROR before a close) still reach their reader.
				_ = dst.writeFrame(f)
			}
			// The source is gone: the destination sees EOF after it has
			// read everything the source sent before closing.
			closeBoth()
		}()
	}
	forward(toServer, c, s)
	forward(toClient, s, c)
}

// recordWire returns a tamperFunc that keeps a copy of every frame, in
// order, and forwards it unchanged. (The proxy's two readers never run at
// once here: the handshakes alternate.)
func recordWire(wire *[]frame) tamperFunc {
	return func(d direction, n int, f frame) []frame {
		*wire = append(*wire, frame{f.flags, append([]byte(nil), f.body...)})
		return []frame{f}
	}
}

// runOK runs p and fails the test unless both sides succeed and each got
// the other's Socket-Type (CLIENT and SERVER).
func runOK(t *testing.T, p pair) (cl, sv outcome) {
	t.Helper()
	cl, sv = p.run(t)
	if cl.err != nil || sv.err != nil {
		t.Fatalf("client: %v, server: %v", cl.err, sv.err)
	}
	if v, _ := sv.res.Peer.Get("Socket-Type"); v != "CLIENT" {
		t.Errorf("server sees Socket-Type %q", v)
	}
	if v, _ := cl.res.Peer.Get("Socket-Type"); v != "SERVER" {
		t.Errorf("client sees Socket-Type %q", v)
	}
	return cl, sv
}

// wireCommand is a command frame a handshake must put on the wire.
type wireCommand struct {
	name  string
	flags byte // as on the wire: FlagCommand, plus FlagLong over 255 bytes
	size  int
}

// checkWire checks the commands recorded on the wire against want.
func checkWire(t *testing.T, wire []frame, want []wireCommand) {
	t.Helper()
	if len(wire) != len(want) {
		t.Fatalf("%d frames on the wire, want %d", len(wire), len(want))
	}
	for i, w := range want {
		f := wire[i]
		if !IsCommand(f.body, w.name) || f.flags != w.flags || len(f.body) != w.size {
			t.Errorf("frame %d: flags %#02x, %d bytes, % x...; want %s, flags %#02x, %d bytes", i, f.flags, len(f.body), f.body[:min(10, len(f.body))], w.name, w.flags, w.size)
		}
	}
}

// exchange seals body with from's codec, and opens it with to's.
func exchange(t testing.TB, from, to Codec, flags byte, body []byte) (byte, []byte) {
	t.Helper()
	wire, err := from.Seal(nil, flags, body)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	f, rest, err := splitFrame(wire)
	if err != nil || len(rest) != 0 {
		t.Fatalf("Seal produced a bad frame: %v, %d trailing bytes", err, len(rest))
	}
	gf, got, err := to.Open(f.flags, f.body)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return gf, got
}

// mustOK fails the test on a setup error.
func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newKeyPair returns a fresh long-term key pair.
func newKeyPair(t testing.TB) (PublicKey, SecretKey) {
	t.Helper()
	pub, sec, err := GenerateKeyPair()
	mustOK(t, err)
	return pub, sec
}

// mustSeal seals one frame with c and returns it as it goes on the wire.
func mustSeal(t testing.TB, c Codec, flags byte, body []byte) frame {
	t.Helper()
	wire, err := c.Seal(nil, flags, body)
	mustOK(t, err)
	f, rest, err := splitFrame(wire)
	if err != nil || len(rest) != 0 {
		t.Fatalf("Seal produced a bad frame: %v, %d trailing bytes", err, len(rest))
	}
	return f
}

// mustHandshakeError asserts err is a *HandshakeError and returns it.
func mustHandshakeError(t testing.TB, who string, err error) *HandshakeError {
	t.Helper()
	var he *HandshakeError
	if !errors.As(err, &he) || !errors.Is(err, ErrHandshake) {
		t.Fatalf("%s: got %v (%T), want a *HandshakeError", who, err, err)
	}
	return he
}

// detReader is a deterministic stream of bytes (splitmix64), so fuzz
// targets and golden tests can build the same handshake every run.
type detReader struct{ x uint64 }

func (r *detReader) Read(p []byte) (int, error) {
	for i := range p {
		r.x += 0x9E3779B97F4A7C15
		z := r.x
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		p[i] = byte(z ^ (z >> 31))
	}
	return len(p), nil
}
