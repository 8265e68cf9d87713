package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/transport"
)

const (
	// flushAt is how much encoded data the writer gathers before writing.
	flushAt = 64 << 10
	// directAt: bodies this large go out with writev, uncopied.
	directAt = 16 << 10
	// maxBatch and maxBatchBytes bound a reader's batch (the bodies in
	// it: the last one may take it past), so the receive bounds stay close.
	maxBatch      = 256
	maxBatchBytes = 2 << 20
	// maxGather bounds the large bodies gathered into one writev, and
	// maxIOV its iovec count (Linux allows 1024).
	maxGather = 1 << 20
	maxIOV    = 64
	// firstWriteMax is the most a connection's writer writes before its
	// reader is started: far below any socket send buffer, so that write
	// cannot block on a peer that is not reading.
	firstWriteMax = 2 << 10
)

// conn is one tcp or ipc connection of a socket: its greeting, handshake,
// and then two goroutines, the writer (which runs in the goroutine that
// called serve) and the reader (started by serve). run returns when both have
// ended; whichever fails first closes the net.Conn, which stops the other.
type conn struct {
	s        *Socket
	nc       net.Conn
	endpoint string
	accepted bool
	addr     string // source IP an accepted tcp connection counts under (MaxConnectionsPerAddress)
	fr       *frameReader
	codec    mechanism.Codec
	opener   mechanism.OpenerInto // codec, when it can open into slab memory
	p        *Pipe
	peer     *socket.Peer
	minor    byte // the peer's ZMTP 3 revision (its greeting's minor)
	hb       socket.Heartbeat

	// socket.Heartbeat liveness: a read deadline armed after each PING we send
	// (timeout) or each PING with a TTL we receive, disarmed by any
	// incoming frame. hbMu orders arming against disarming.
	hbMu    sync.Mutex
	armed   atomic.Bool
	stopped bool // stop has set the deadlines in the past; guarded by hbMu

	// afterGreeting, if set, runs once our greeting is written (or the
	// handshake fails before): an accepted connection starts the next
	// acceptor there. Owned by the handshake's goroutine.
	afterGreeting func()
	remoteStr     string // see remote; set by the goroutine that runs the connection, before serve

	closeOnce sync.Once
	done      chan struct{}
	err       error // first error, set before done is closed
}

// tune applies the socket's kernel buffer sizes to a new connection; a
// size the system refuses is logged, not fatal.
func (s *Socket) tune(nc net.Conn) {
	type buffered interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
	}
	b, ok := nc.(buffered)
	if !ok || (s.opts.SendBuffer == 0 && s.opts.RecvBuffer == 0) {
		return
	}
	if n := s.opts.SendBuffer; n > 0 {
		if err := b.SetWriteBuffer(n); err != nil {
			s.logger().Warn("zmesh: send buffer size refused", "size", n, "err", err)
		}
	}
	if n := s.opts.RecvBuffer; n > 0 {
		if err := b.SetReadBuffer(n); err != nil {
			s.logger().Warn("zmesh: receive buffer size refused", "size", n, "err", err)
		}
	}
}

// metadata is the properties the socket announces in READY (and to its
// inproc peers): its Socket-Type and, for REQ, DEALER and ROUTER, its
// Identity.
func (s *Socket) metadata() mechanism.Metadata {
	md := mechanism.Metadata{{Name: "Socket-Type", Value: s.typ.Name}}
	if s.typ.SendIdentity {
		md = append(md, mechanism.Property{Name: "Identity", Value: string(s.opts.RoutingID)})
	}
	return md
}

// keepalive applies the TCP keepalive options to a tcp connection; a
// setting the system refuses is logged, not fatal.
func (s *Socket) keepalive(nc net.Conn) {
	o := &s.opts
	tc, ok := nc.(*net.TCPConn)
	if !ok || (o.TCPKeepalive == 0 && o.TCPKeepaliveCount == 0 && o.TCPKeepaliveIdle == 0 && o.TCPKeepaliveInterval == 0) {
		return
	}
	cfg := net.KeepAliveConfig{Enable: o.TCPKeepalive >= 0, Idle: o.TCPKeepaliveIdle,
		Interval: o.TCPKeepaliveInterval, Count: o.TCPKeepaliveCount}
	if !cfg.Enable {
		cfg.Idle, cfg.Interval, cfg.Count = -1, -1, -1
	}
	if err := tc.SetKeepAliveConfig(cfg); err != nil {
		s.logger().Warn("zmesh: tcp keepalive settings refused", "err", err)
	}
}

func newConn(s *Socket, nc net.Conn, endpoint string, accepted bool) *conn {
	s.tune(nc)
	s.keepalive(nc)
	return &conn{
		s:        s,
		nc:       nc,
		endpoint: endpoint,
		accepted: accepted,
		fr:       newFrameReader(nc, s.opts.MaxMsgSize),
		hb:       s.opts.Heartbeat,
		done:     make(chan struct{}),
	}
}

// fail records err as the reason the connection ends, unless one is
// already recorded, and closes it.
func (c *conn) fail(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		close(c.done)
	})
	_ = c.nc.Close()
}

// stop ends the connection from outside its goroutines (Close): it records
// err, wakes them (done, and a deadline in the past for any read or write
// under way) and leaves the closing to them. Closing it here instead would
// wait for the reader to give the descriptor up, and the caller waits for
// the goroutines anyway.
func (c *conn) stop(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		close(c.done)
		c.hbMu.Lock()
		c.stopped = true
		_ = c.nc.SetDeadline(time.Unix(1, 0))
		c.hbMu.Unlock()
	})
}

// setDeadline sets the connection's deadline, or only its read deadline,
// unless stop has put them in the past.
func (c *conn) setDeadline(t time.Time, readOnly bool) {
	c.hbMu.Lock()
	defer c.hbMu.Unlock()
	switch {
	case c.stopped:
	case readOnly:
		_ = c.nc.SetReadDeadline(t)
	default:
		_ = c.nc.SetDeadline(t)
	}
}

// failGently ends a connection whose handshake we refused. Closing a
// socket with unread bytes makes the kernel answer with a reset, which can
// overtake the ERROR we just sent and leave the peer thinking the failure
// was transient; so shut our side first and drain the peer briefly.
func (c *conn) failGently(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		close(c.done)
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			_ = c.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, _ = io.Copy(io.Discard, io.LimitReader(c.nc, 64<<10))
		}
		_ = c.nc.Close()
	})
	_ = c.nc.Close() // stop was first: the closing is ours
}

// remote is the peer's address as events show it, formatted once.
func (c *conn) remote() string {
	if c.remoteStr == "" {
		c.remoteStr = c.nc.RemoteAddr().String()
	}
	return c.remoteStr
}

// greeted runs afterGreeting, once.
func (c *conn) greeted() {
	if f := c.afterGreeting; f != nil {
		c.afterGreeting = nil
		f()
	}
}

// hsConn is the mechanism.Conn a handshake runs over.
type hsConn struct{ c *conn }

func (h hsConn) WriteCommand(body []byte) error {
	_, err := h.c.nc.Write(zmtp.AppendFrame(make([]byte, 0, zmtp.HeaderLen(len(body))+len(body)), zmtp.FlagCommand, body))
	return err
}

func (h hsConn) ReadCommand() ([]byte, error) {
	flags, body, _, err := h.c.fr.next()
	if err != nil {
		return nil, err
	}
	if flags&zmtp.FlagCommand == 0 {
		return nil, mechanism.Protocolf("message frame during the handshake")
	}
	return body, nil
}

// handshake exchanges greetings and runs the mechanism, within the
// handshake timeout. On success c.peer and c.codec are set.
func (c *conn) handshake(ctx context.Context) error {
	o := &c.s.opts
	// The deadline on the connection bounds every read and write of the
	// handshake; a handshake whose socket closes or whose endpoint is
	// disconnected meanwhile is stopped by the connection being closed
	// (Close and removeEndpoint fail every connection they find, and
	// dialLoop adds one only while its endpoint is there).
	hctx := newHSContext(ctx, o.HandshakeTimeout)
	defer hctx.stop()
	ctx = hctx
	if !hctx.deadline.IsZero() {
		c.setDeadline(hctx.deadline, false)
	}

	mech := o.Mechanism
	// Our greeting goes out at once, whatever the peer does (libzmq sends
	// its own in steps and waits for ours between them), and with it the
	// mechanism's first command where it needs nothing of the peer's
	// greeting (mechanism.Opener): one write, and one read for the peer.
	out := zmtp.NewGreeting(mech.Name(), mech.AsServer()).Append(make([]byte, 0, zmtp.GreetingLen+256))
	addr := transport.PeerAddress(c.nc)
	params := &mechanism.Params{
		SocketType:    c.s.typ.Name,
		Metadata:      c.s.metadata(),
		CheckPeer:     c.s.checkPeer,
		LocalGreeting: out[:zmtp.GreetingLen:zmtp.GreetingLen],
		PeerAddress:   addr,
		Accepted:      c.accepted,
		Auth:          o.Auth,
	}
	var finish mechanism.Finish
	sentFirst := false
	if op, ok := mech.(mechanism.Opener); ok {
		first, f, err := op.Open(params)
		if err != nil {
			return err
		}
		if first != nil {
			out = zmtp.AppendFrame(out, zmtp.FlagCommand, first)
			sentFirst = true
		}
		finish = f
	}
	_, err := c.nc.Write(out)
	c.greeted()
	if err != nil {
		return greetingError(err)
	}
	var peerGreeting [zmtp.GreetingLen]byte
	minor, err := readGreeting(c.fr, peerGreeting[:], mech.Name())
	if err != nil {
		if sentFirst {
			return mechanism.ClosedEarly(mech, err)
		}
		return err
	}
	c.minor = minor
	params.PeerGreeting = peerGreeting[:]
	var res *mechanism.Result
	if finish != nil {
		res, err = finish(ctx, hsConn{c})
	} else {
		res, err = mech.Handshake(ctx, hsConn{c}, params)
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, mechanism.ErrHandshake) {
			return fmt.Errorf("handshake timed out: %w", ctx.Err())
		}
		return err
	}
	st, _ := res.Peer.Get("Socket-Type")
	c.peer = &socket.Peer{
		Endpoint:   c.endpoint,
		Address:    addr,
		SocketType: st,
		Mechanism:  mech.Name(),
		UserID:     res.UserID,
		PublicKey:  res.PublicKey,
		Metadata:   res.Peer,
	}
	c.codec = res.Codec
	c.opener, _ = res.Codec.(mechanism.OpenerInto)
	c.fr.established(connBufPool.Get().(*connBufs), rawConn(c.nc))
	if c.codec == nil {
		c.fr.cmdMax = maxCommand
	}
	c.setDeadline(time.Time{}, false)
	return nil
}

// serve runs the connection on pipe p until it fails; it returns the reason.
func (c *conn) serve(p *Pipe) error {
	c.p = p
	// The writer runs here and the reader in a new goroutine, started by
	// the writer once its first small batch is out (or before a write
	// that might block, or when it goes idle): a connecting socket
	// usually has messages queued before its handshake ends, and they go
	// out before starting a goroutine wakes a thread, while the first
	// reply is a round trip away.
	var wg sync.WaitGroup
	startReader := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.fail(c.readLoop())
		}()
	}
	c.fail(c.writeLoop(startReader))
	wg.Wait()
	c.recycle()
	return c.err
}

// connBufs are the reader's large buffers, recycled across connections
// and, over tcp and ipc, taken only while bytes arrive (see frameReader):
// a short-lived connection would otherwise allocate, and the runtime
// clear, about 90 KiB, and an idle one hold it. Nothing received aliases
// them: bodies are copied out of the read buffer (own), and the reader's
// batch is copied into the pipe.
type connBufs struct {
	read []byte       // the frame reader's buffer, readBufSize long
	in   []socket.Msg // the reader's batch, maxBatch of capacity
}

var connBufPool = sync.Pool{New: func() any {
	return &connBufs{
		read: make([]byte, readBufSize),
		in:   make([]socket.Msg, 0, maxBatch),
	}
}}

// writeBufs are the writer's buffers, taken from their pool when the
// pipe has something to send and given back once it is all written.
type writeBufs struct {
	buf []byte      // the encode buffer, flushAt+512 of capacity
	iov net.Buffers // maxIOV of capacity
}

var writeBufPool = sync.Pool{New: func() any {
	return &writeBufs{buf: make([]byte, 0, flushAt+512), iov: make(net.Buffers, 0, maxIOV)}
}}

// rawConn returns the raw connection of a tcp or ipc connection, through
// which an idle reader waits without holding a buffer; nil for others.
func rawConn(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch t := nc.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// recycle gives the reader's buffers back once both goroutines have
// ended.
func (c *conn) recycle() {
	b := c.fr.bufs
	c.fr.bufs, c.fr.rc = nil, nil
	c.fr.buf, c.fr.pos, c.fr.end = nil, 0, 0
	c.fr.slab.Retire()
	if b == nil {
		return
	}
	clear(b.in[:cap(b.in)])
	connBufPool.Put(b)
}

// alive notes that the peer spoke: it disarms a pending heartbeat deadline.
func (c *conn) alive() {
	if !c.armed.Load() {
		return
	}
	c.hbMu.Lock()
	if c.armed.Load() {
		c.armed.Store(false)
		if !c.stopped {
			_ = c.nc.SetReadDeadline(time.Time{})
		}
	}
	c.hbMu.Unlock()
}

// arm drops the connection unless something arrives within d.
func (c *conn) arm(d time.Duration) {
	c.hbMu.Lock()
	if !c.armed.Load() {
		c.armed.Store(true)
		if !c.stopped {
			_ = c.nc.SetReadDeadline(time.Now().Add(d))
		}
	}
	c.hbMu.Unlock()
}

// readLoop decodes frames into messages for the pipe's incoming queue. It
// gathers every frame already in its buffer into one batch and pushes the
// batch before it would block on the network.
func (c *conn) readLoop() error {
	typ := &c.s.typ
	q := &c.s.in
	var (
		batch      []socket.Msg
		batchBytes int64
	)
	if b := c.fr.bufs; b != nil {
		batch = b.in[:0]
	}
	var (
		group      string
		haveGroup  bool
		discarding bool     // inside a multipart message we drop whole
		frames     [][]byte // the frames so far of a multipart message (Type.Multipart)
		msgBytes   int64    // their bytes
	)
	maxMsg := c.s.opts.MaxMsgSize
	// deliver runs the interceptor, if any, on m and adds it to the batch.
	deliver := func(m socket.Msg) error {
		if ic := c.s.icept; ic != nil {
			keep, err := ic.Intercept(c.p, &m)
			if err != nil {
				return fmt.Errorf("%w: %w", socket.ErrProtocol, err)
			}
			if !keep {
				return nil
			}
		}
		batch = append(batch, m)
		batchBytes += int64(m.Len())
		return nil
	}
	for {
		if len(batch) > 0 && (len(batch) == maxBatch || batchBytes >= maxBatchBytes || !c.fr.buffered()) {
			full := q.pushBatch(c.p, batch, batchBytes)
			clear(batch)
			batch, batchBytes = batch[:0], 0
			if full {
				select {
				case <-c.p.readerWake:
				case <-c.done:
					return nil
				}
			}
		}
		c.fr.pinned = len(batch) > 0
		flags, body, owned, err := c.fr.next()
		slabbed := false // body was carved from a slab (bodypool.Slab)
		if len(batch) == 0 && c.fr.bufs != nil {
			batch = c.fr.bufs.in[:0] // it may have changed while idle
		}
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() && c.armed.Load() {
				return socket.ErrHeartbeatTimeout
			}
			return err
		}
		c.alive()
		if c.opener != nil {
			// Decrypt straight into slab memory: no allocation per
			// small message.
			var space []byte
			if n := c.opener.OpenSpace(len(body)); n <= slabCarveMax {
				space, slabbed = c.fr.carve(n)
			}
			flags, body, err = c.opener.OpenInto(flags, body, space)
			if err != nil {
				return fmt.Errorf("%w: %w", socket.ErrProtocol, err)
			}
			// The body ends the space carved (its capacity reaches the
			// slab's trailer), unless OpenInto had to make new memory.
			slabbed = slabbed && len(body) > 0 && &body[:cap(body)][cap(body)-1] == &space[len(space)-1]
			owned = true
		} else if c.codec != nil {
			flags, body, err = c.codec.Open(flags, body)
			if err != nil {
				return fmt.Errorf("%w: %w", socket.ErrProtocol, err)
			}
			owned = true
		}
		if flags&zmtp.FlagCommand != 0 {
			if typ.SubCommands {
				if m, ok := subscription(body); ok {
					if err := deliver(c.s.received(m, c.p.id, "", c.peer, bodyOwn)); err != nil {
						return err
					}
					continue
				}
			}
			if err := c.command(body); err != nil {
				return err
			}
			continue
		}
		more := flags&zmtp.FlagMore != 0
		if discarding {
			discarding = more
			continue
		}
		if typ.Multipart && typ.DropIncoming {
			discarding = more // a PUSH reads and drops what its peer sends
			continue
		}
		if typ.Multipart && (more || frames != nil) {
			if !owned {
				body, _ = c.fr.own(body)
			}
			frames = append(frames, body)
			msgBytes += int64(len(body))
			if len(frames) > socket.MaxFrames {
				return fmt.Errorf("%w: a multipart message of over %d frames", socket.ErrTooLarge, socket.MaxFrames)
			}
			if maxMsg > 0 && msgBytes > maxMsg {
				return fmt.Errorf("%w: a multipart message of over %d bytes (MaxMsgSize)", socket.ErrTooLarge, maxMsg)
			}
			if more {
				continue
			}
			m := c.s.received(nil, c.p.id, "", c.peer, bodyOwn)
			m.Frames, frames, msgBytes = frames, nil, 0
			if err := deliver(m); err != nil {
				return err
			}
			continue
		}
		if typ.RecvGroup {
			if !haveGroup {
				if !more {
					return fmt.Errorf("%w: message without its group frame", socket.ErrProtocol)
				}
				if len(body) > 255 {
					return fmt.Errorf("%w: %d-byte group (the limit is 255)", socket.ErrProtocol, len(body))
				}
				group, haveGroup = c.s.intern(body), true
				continue
			}
			haveGroup = false
			if more {
				return fmt.Errorf("%w: group message with more than two frames", socket.ErrProtocol)
			}
		} else if more && !typ.Multipart {
			discarding = true // multipart messages are dropped whole
			continue
		}
		if typ.DropIncoming || (typ.RecvGroup && c.s.filter != nil && !c.s.filter(group)) {
			continue
		}
		if !owned {
			body, slabbed = c.fr.own(body)
		}
		// Bodies of this size came from the pools (fr.own, or fr.next's
		// one-step read), unless the codec made a new one; smaller ones
		// from a slab, which Release then counts.
		from := bodyOwn
		switch {
		case slabbed:
			from = bodySlab
		case c.codec == nil && len(body) > slabMax && len(body) <= growStep:
			from = bodyClass
		}
		m := c.s.received(body, c.p.id, group, c.peer, from)
		if c.s.icept != nil {
			if err := deliver(m); err != nil {
				return err
			}
			continue
		}
		batch = append(batch, m)
		batchBytes += int64(len(body))
	}
}

// subscription turns a SUBSCRIBE or CANCEL command into the message a
// ZMTP 3.0 peer sends instead: 0x01 or 0x00, then the topic.
func subscription(cmd []byte) ([]byte, bool) {
	topic, subscribe, ok := zmtp.ParseSubscription(cmd)
	if !ok {
		return nil, false
	}
	m := make([]byte, 1+len(topic))
	if subscribe {
		m[0] = 1
	}
	copy(m[1:], topic)
	return m, true
}

// command handles a command frame received after the handshake.
func (c *conn) command(body []byte) error {
	switch {
	case zmtp.IsCommand(body, zmtp.CmdPing):
		ttl, ctxt, err := zmtp.ParsePing(zmtp.Data(body, zmtp.CmdPing))
		if err != nil {
			return &wireError{err}
		}
		if ttl > 0 {
			c.arm(time.Duration(ttl) * 100 * time.Millisecond)
		}
		c.p.SendCommand(zmtp.AppendPong(make([]byte, 0, 1+len(zmtp.CmdPong)+len(ctxt)), ctxt))
	case zmtp.IsCommand(body, zmtp.CmdPong):
		// Proof of life, already noted.
	case zmtp.IsCommand(body, zmtp.CmdError):
		return fmt.Errorf("%w: %w: %s", socket.ErrProtocol, errPeerSentError, zmtp.ParseError(zmtp.Data(body, zmtp.CmdError)))
	default:
		if err := zmtp.CheckCommand(body); err != nil {
			return &wireError{err}
		}
		if h := c.s.handler; h != nil {
			if err := h.Command(c.p, body); err != nil {
				return fmt.Errorf("%w: %w", socket.ErrProtocol, err)
			}
		}
		// Unknown commands are dropped, as libzmq does.
	}
	return nil
}

// writeLoop drains the pipe: every queued message is encoded into one
// buffer, written with one syscall, and the buffer is flushed only when the
// pipe is empty. Bodies of directAt bytes or more go out with writev.
func (c *conn) writeLoop(startReader func()) error {
	// startReader runs before the first write that could block (the
	// peer's writer may be waiting on our reader) or after the first
	// small one, at the latest when the writer first waits.
	started := func() {
		if startReader != nil {
			startReader()
			startReader = nil
		}
	}
	var tick <-chan time.Time
	if c.hb.Interval > 0 {
		t := time.NewTicker(c.hb.Interval)
		defer t.Stop()
		tick = t.C
	}
	p := c.p
	sendGroup := c.s.typ.SendGroup
	// The buffers are held only while there is something to write: wb is
	// nil while the pipe is idle.
	var (
		wb  *writeBufs
		buf []byte
	)
	// batch becomes the pipe's queue (take) and the queue the next batch:
	// not recycled.
	var batch []socket.Msg
	// yielded: the writer has yielded once since its last flush.
	yielded := false
	// Large bodies are not copied into buf: they join an iovec list with
	// the encoded bytes around them, written with one writev.
	var (
		iov     net.Buffers
		iovBack net.Buffers
		seg     int // start of buf's bytes not yet in iov
		large   int // bytes of large bodies in iov
		err     error
		// Body bytes encoded since the last write: they leave the
		// pipe's byte bound once written (p.written).
		pendingBytes int64
	)
	flush := func() error {
		if startReader != nil && (len(iov) > 0 || len(buf) > firstWriteMax) {
			started()
		}
		if len(iov) == 0 {
			if len(buf) > 0 {
				if _, err := c.nc.Write(buf); err != nil {
					return err
				}
			}
		} else {
			if seg < len(buf) {
				iov = append(iov, buf[seg:])
			}
			if _, err := iov.WriteTo(c.nc); err != nil {
				return err
			}
			clear(iovBack[:cap(iovBack)]) // drop references to written bodies
			iov = iovBack[:0]
		}
		buf, seg, large = buf[:0], 0, 0
		p.written(pendingBytes)
		pendingBytes = 0
		started()
		return nil
	}
	defer func() {
		if wb != nil {
			clear(iovBack[:cap(iovBack)])
			writeBufPool.Put(wb)
		}
	}()
	for {
		var ctrl [][]byte
		holding := len(buf) > 0 || len(iov) > 0
		batch, ctrl = p.take(batch, holding)
		if len(batch) == 0 && len(ctrl) == 0 {
			if holding && !yielded {
				// Before writing, once: let the senders that are ready
				// add to this write (one write for many small messages
				// under concurrent senders; a lone sender loses the
				// scheduler's round, a few µs).
				yielded = true
				runtime.Gosched()
				continue
			}
			if holding {
				yielded = false
				// Flush, then look again: the pipe is marked idle only
				// by a take that finds the writer holding nothing, once
				// everything taken has reached the kernel (linger relies
				// on it).
				if err := flush(); err != nil {
					return err
				}
				continue
			}
			started()
			if wb != nil {
				// Idle: the buffers go back (flush left them empty).
				wb.buf, wb.iov = buf[:0], iovBack[:0]
				writeBufPool.Put(wb)
				wb, buf, iov, iovBack = nil, nil, nil, nil
			}
			select {
			case <-p.wake:
			case <-tick:
				wb, buf, iov, iovBack = takeWriteBufs()
				if buf, err = c.appendPing(buf); err != nil {
					return err
				}
			case <-c.done:
				return nil
			}
			continue
		}
		if wb == nil {
			wb, buf, iov, iovBack = takeWriteBufs()
		}
		select {
		case <-tick:
			if buf, err = c.appendPing(buf); err != nil {
				return err
			}
		default:
		}
		for _, cmd := range ctrl {
			if buf, err = c.appendFrame(buf, zmtp.FlagCommand, cmd); err != nil {
				return err
			}
		}
		done := 0 // batch[:done] is written and cleared
		for i := range batch {
			m := &batch[i]
			if sendGroup {
				if c.codec == nil {
					buf = zmtp.AppendHeader(buf, zmtp.FlagMore, len(m.Group))
					buf = append(buf, m.Group...)
				} else if buf, err = c.codec.Seal(buf, zmtp.FlagMore, groupBytes(m.Group)); err != nil {
					return err
				}
			}
			switch {
			case m.Frames != nil:
				last := len(m.Frames) - 1
				if last < 0 { // no frames: one empty frame
					if buf, err = c.appendFrame(buf, 0, nil); err != nil {
						return err
					}
				}
				for j, f := range m.Frames {
					fl := byte(zmtp.FlagMore)
					if j == last {
						fl = 0
					}
					if c.codec == nil && len(f) >= directAt {
						buf = zmtp.AppendHeader(buf, fl, len(f))
						iov = append(iov, buf[seg:], f)
						seg = len(buf)
						large += len(f)
						if large >= maxGather || len(iov) >= maxIOV-4 {
							if err := flush(); err != nil {
								return err
							}
						}
						continue
					}
					if buf, err = c.appendFrame(buf, fl, f); err != nil {
						return err
					}
				}
			case c.codec == nil && (len(m.Body) >= directAt || len(m.Tail) >= directAt):
				buf = zmtp.AppendHeader(buf, 0, m.Len())
				for _, b := range [2][]byte{m.Body, m.Tail} {
					if len(b) < directAt {
						buf = append(buf, b...)
						continue
					}
					iov = append(iov, buf[seg:], b)
					seg = len(buf)
					large += len(b)
				}
			case len(m.Tail) == 0:
				if buf, err = c.appendFrame(buf, 0, m.Body); err != nil {
					return err
				}
			case c.codec == nil:
				buf = zmtp.AppendHeader(buf, 0, m.Len())
				buf = append(append(buf, m.Body...), m.Tail...)
			default: // a codec seals one body
				if buf, err = c.appendFrame(buf, 0, Joined(*m).Body); err != nil {
					return err
				}
			}
			pendingBytes += int64(m.Len())
			if len(buf) >= flushAt || large >= maxGather || len(iov) >= maxIOV-4 {
				if err := flush(); err != nil {
					return err
				}
				// Written bodies left the byte bound: drop them now, not
				// after a batch whose rest may wait on a stalled peer.
				clear(batch[done : i+1])
				done = i + 1
			}
		}
		clear(batch[done:])
	}
}

// takeWriteBufs takes a writer's buffers from their pool.
func takeWriteBufs() (wb *writeBufs, buf []byte, iov, iovBack net.Buffers) {
	wb = writeBufPool.Get().(*writeBufs)
	return wb, wb.buf[:0], wb.iov[:0], wb.iov[:0]
}

// groupBytes views a group name as bytes without copying it. Codecs only
// read the body they seal, so the string's memory is never written.
func groupBytes(g string) []byte { return unsafe.Slice(unsafe.StringData(g), len(g)) }

// appendFrame encodes one frame, through the mechanism's codec if any.
func (c *conn) appendFrame(buf []byte, flags byte, body []byte) ([]byte, error) {
	if c.codec != nil {
		return c.codec.Seal(buf, flags, body)
	}
	return zmtp.AppendFrame(buf, flags, body), nil
}

// appendPing appends a PING (with our TTL) and arms the heartbeat timeout.
func (c *conn) appendPing(buf []byte) ([]byte, error) {
	var cmd [1 + len(zmtp.CmdPing) + 2]byte
	b := zmtp.AppendPing(cmd[:0], uint16(c.hb.TTL/(100*time.Millisecond)), nil)
	c.arm(hbTimeout(c.hb))
	return c.appendFrame(buf, zmtp.FlagCommand, b)
}
