package patterns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// FrameSender is a socket that sends multipart messages (Push, Pub, XPub,
// XSub, Dealer, Router, Req, Rep, Pair).
type FrameSender interface {
	SendFrames(ctx context.Context, frames ...[]byte) error
}

// FrameReceiver is a socket that receives multipart messages (Pull, Sub,
// XSub, XPub, Dealer, Router, Req, Rep, Pair).
type FrameReceiver interface {
	RecvFrames(ctx context.Context) ([][]byte, error)
}

// ProxyStats are a proxy's counters, in the order libzmq's STATISTICS
// reply lists them: messages and bytes received and sent on the frontend,
// then on the backend. A multipart message counts once; its bytes are
// its frames'. A message counts as sent once it is handed to the
// destination socket (uncounted if that send fails), so the counters
// read after its answer came back include it.
type ProxyStats struct {
	FrontendMsgsIn, FrontendBytesIn, FrontendMsgsOut, FrontendBytesOut uint64
	BackendMsgsIn, BackendBytesIn, BackendMsgsOut, BackendBytesOut     uint64
}

// frames is the STATISTICS reply: 8 frames, each a little-endian uint64
// (libzmq's host order on x86-64 and arm64).
func (s ProxyStats) frames() [][]byte {
	out := make([][]byte, 0, 8)
	for _, v := range []uint64{s.FrontendMsgsIn, s.FrontendBytesIn, s.FrontendMsgsOut, s.FrontendBytesOut,
		s.BackendMsgsIn, s.BackendBytesIn, s.BackendMsgsOut, s.BackendBytesOut} {
		out = append(out, binary.LittleEndian.AppendUint64(nil, v))
	}
	return out
}

// ErrProxyCommand is what a steerable proxy returns when its control
// socket sends something other than PAUSE, RESUME, TERMINATE or
// STATISTICS as one frame (libzmq aborts the process instead).
var ErrProxyCommand = fmt.Errorf("%w: unknown proxy control command", socket.ErrInvalidInput)

// Proxy forwards messages between frontend and backend, as zmq_proxy:
// each direction whose source receives and whose destination sends
// (ROUTER/DEALER and XSUB/XPUB both ways, PULL→PUSH one way), multipart
// messages whole and in order. If capture is not nil, every message
// forwarded is first sent to it too. It returns when ctx ends (ctx.Err())
// or a socket fails (that error; socket.ErrClosed when one is closed).
func Proxy(ctx context.Context, frontend, backend Pollable, capture FrameSender) error {
	return ProxySteerable(ctx, frontend, backend, capture, nil)
}

// ProxySteerable is Proxy with a control socket, as
// zmq_proxy_steerable: a one-frame message PAUSE stops forwarding,
// RESUME restarts it, TERMINATE makes it return nil, STATISTICS is
// answered (on control, which must then be able to send: a PAIR or a
// DEALER, say) with the ProxyStats as 8 frames of 8 little-endian bytes.
// Anything else makes it return ErrProxyCommand.
func ProxySteerable(ctx context.Context, frontend, backend Pollable, capture FrameSender, control FrameReceiver) error {
	if ctx == nil {
		return fmt.Errorf("proxy: %w", socket.ErrInvalidInput)
	}
	if frontend == nil || backend == nil {
		return fmt.Errorf("%w: a proxy needs a frontend and a backend", socket.ErrInvalidInput)
	}
	fr, frOK := frontend.(FrameReceiver)
	fs, fsOK := frontend.(FrameSender)
	br, brOK := backend.(FrameReceiver)
	bs, bsOK := backend.(FrameSender)
	if !(frOK && bsOK) && !(brOK && fsOK) {
		return fmt.Errorf("%w: neither direction can forward (a receiving source and a sending destination)", socket.ErrInvalidInput)
	}
	px := &proxy{capture: capture}
	px.resumed = make(chan struct{})
	close(px.resumed)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	run := func(src FrameReceiver, dst FrameSender, in, out *[2]atomic.Uint64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := px.forward(ctx, src, dst, in, out); err != nil {
				cancel(err)
			}
		}()
	}
	if frOK && bsOK {
		run(fr, bs, &px.frontIn, &px.backOut)
	}
	if brOK && fsOK && any(frontend) != any(backend) {
		run(br, fs, &px.backIn, &px.frontOut)
	}
	var result error
	if control != nil {
		result = px.steer(ctx, control)
		cancel(result)
	} else {
		<-ctx.Done()
	}
	wg.Wait()
	if result != nil || control != nil {
		if errors.Is(result, errTerminate) {
			return nil
		}
		return result
	}
	return context.Cause(ctx)
}

var errTerminate = errors.New("proxy terminated")

type proxy struct {
	capture FrameSender
	capMu   sync.Mutex // capture sends, from both directions, one message at a time

	mu      sync.Mutex
	resumed chan struct{} // closed while forwarding; a fresh one while paused

	frontIn, frontOut, backIn, backOut [2]atomic.Uint64 // messages, bytes
}

// gate returns a channel closed while the proxy forwards.
func (px *proxy) gate() <-chan struct{} {
	px.mu.Lock()
	defer px.mu.Unlock()
	return px.resumed
}

func (px *proxy) forward(ctx context.Context, src FrameReceiver, dst FrameSender, in, out *[2]atomic.Uint64) error {
	for {
		select {
		case <-px.gate():
		case <-ctx.Done():
			return nil
		}
		m, err := src.RecvFrames(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select { // paused meanwhile: hold the message until RESUME
		case <-px.gate():
		case <-ctx.Done():
			return nil
		}
		var n uint64
		for _, f := range m {
			n += uint64(len(f))
		}
		in[0].Add(1)
		in[1].Add(n)
		if px.capture != nil {
			px.capMu.Lock()
			err := px.capture.SendFrames(ctx, m...)
			px.capMu.Unlock()
			if err != nil && ctx.Err() == nil {
				return err
			}
		}
		// Counted before the send, which may deliver it (inproc) and let
		// its answer come back before this goroutine runs again: a
		// STATISTICS after the answer must count the request.
		out[0].Add(1)
		out[1].Add(n)
		if err := dst.SendFrames(ctx, m...); err != nil {
			out[0].Add(^uint64(0))
			out[1].Add(-n)
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// steer serves the control socket until TERMINATE, a bad command or an
// error (ctx ending returns context.Cause).
func (px *proxy) steer(ctx context.Context, control FrameReceiver) error {
	for {
		m, err := control.RecvFrames(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		}
		if px.capture != nil {
			px.capMu.Lock()
			_ = px.capture.SendFrames(ctx, m...)
			px.capMu.Unlock()
		}
		if len(m) != 1 {
			return fmt.Errorf("%w: a %d-frame control message", ErrProxyCommand, len(m))
		}
		switch string(m[0]) {
		case "PAUSE":
			px.mu.Lock()
			select {
			case <-px.resumed:
				px.resumed = make(chan struct{})
			default:
			}
			px.mu.Unlock()
		case "RESUME":
			px.mu.Lock()
			select {
			case <-px.resumed:
			default:
				close(px.resumed)
			}
			px.mu.Unlock()
		case "TERMINATE":
			return errTerminate
		case "STATISTICS":
			cs, ok := control.(FrameSender)
			if !ok {
				return fmt.Errorf("%w: STATISTICS needs a control socket that can reply", ErrProxyCommand)
			}
			if err := cs.SendFrames(ctx, px.stats().frames()...); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %q", ErrProxyCommand, zmtp.Printable(m[0]))
		}
	}
}

func (px *proxy) stats() ProxyStats {
	return ProxyStats{
		FrontendMsgsIn: px.frontIn[0].Load(), FrontendBytesIn: px.frontIn[1].Load(),
		FrontendMsgsOut: px.frontOut[0].Load(), FrontendBytesOut: px.frontOut[1].Load(),
		BackendMsgsIn: px.backIn[0].Load(), BackendBytesIn: px.backIn[1].Load(),
		BackendMsgsOut: px.backOut[0].Load(), BackendBytesOut: px.backOut[1].Load(),
	}
}
