package zmq4

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// Proxy forwards messages between a frontend and a backend socket, as
// zmq4's Proxy, on zmesh's patterns.ProxySteerable (zmq_proxy_steerable's
// rules: ROUTER/DEALER and XSUB/XPUB both ways, PULL to PUSH one way,
// multipart messages whole and in order).
type Proxy struct {
	ctx    context.Context
	cancel context.CancelFunc
	cmds   chan string
	done   chan struct{}
	err    error
	log    *slog.Logger
}

// NewProxy starts a proxy between front and back, which must be sockets
// of this package that have listened or dialed already; if capture is not
// nil every message forwarded is sent to it too. It runs until ctx ends or
// Kill; Run waits for it.
func NewProxy(ctx context.Context, front, back, capture Socket) *Proxy {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Proxy{ctx: ctx, cancel: cancel, cmds: make(chan string), done: make(chan struct{}), log: slog.Default()}
	if b, ok := front.(*bridge); ok && b != nil && b.cfg.logger != nil {
		p.log = b.cfg.logger
	}
	fs, err1 := proxied(front)
	bs, err2 := proxied(back)
	if err1 != nil || err2 != nil {
		p.err = fmt.Errorf("zmq4: proxy: %w", firstErr(err1, err2))
		close(p.done)
		return p
	}
	var cs patterns.FrameSender
	if capture != nil {
		cs = captureSender{capture}
	}
	go func() {
		defer close(p.done)
		p.err = patterns.ProxySteerable(ctx, fs, bs, cs, proxyControl{p})
	}()
	return p
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// proxied returns a bridge socket's zmesh socket.
func proxied(s Socket) (zsock, error) {
	b, ok := s.(*bridge)
	if !ok || b == nil {
		return nil, fmt.Errorf("%w: a proxy needs sockets of this package", socket.ErrInvalidInput)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errClosed
	}
	if b.s == nil {
		return nil, fmt.Errorf("%w: a %s socket must listen or dial before it is proxied", socket.ErrInvalidInput, b.typ)
	}
	return b.s, nil
}

// captureSender sends what the proxy captures through any Socket.
type captureSender struct{ s Socket }

// SendFrames implements patterns.FrameSender.
func (c captureSender) SendFrames(_ context.Context, frames ...[]byte) error {
	return c.s.Send(NewMsgFrom(frames...))
}

// proxyControl is the proxy's control socket: commands come from the
// Proxy's methods over a channel, statistics go to the log.
type proxyControl struct{ p *Proxy }

// RecvFrames implements patterns.FrameReceiver.
func (c proxyControl) RecvFrames(ctx context.Context) ([][]byte, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case cmd := <-c.p.cmds:
		return [][]byte{[]byte(cmd)}, nil
	}
}

// SendFrames implements patterns.FrameSender: the STATISTICS answer.
func (c proxyControl) SendFrames(_ context.Context, frames ...[]byte) error {
	names := []string{"frontend_msgs_in", "frontend_bytes_in", "frontend_msgs_out", "frontend_bytes_out",
		"backend_msgs_in", "backend_bytes_in", "backend_msgs_out", "backend_bytes_out"}
	var args []any
	for i, f := range frames {
		if i < len(names) && len(f) == 8 {
			args = append(args, names[i], binary.LittleEndian.Uint64(f))
		}
	}
	c.p.log.Info("zmq4: proxy statistics", args...)
	return nil
}

// command hands cmd to the proxy, unless it has stopped.
func (p *Proxy) command(cmd string) {
	select {
	case p.cmds <- cmd:
	case <-p.done:
	}
}

// Pause stops forwarding until Resume.
func (p *Proxy) Pause() { p.command("PAUSE") }

// Resume restarts forwarding after Pause.
func (p *Proxy) Resume() { p.command("RESUME") }

// Stats logs the proxy's message and byte counters at Info, to the
// frontend's WithLogger logger, else to slog's default.
func (p *Proxy) Stats() { p.command("STATISTICS") }

// Kill stops the proxy; Run then returns nil.
func (p *Proxy) Kill() { p.command("TERMINATE") }

// Run waits for the proxy to stop and returns why: nil after Kill, the
// context's error when it ended, or the error of a failing socket.
func (p *Proxy) Run() error {
	<-p.done
	p.cancel()
	return p.err
}
