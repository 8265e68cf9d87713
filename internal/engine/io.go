package engine

import (
	"context"
	"runtime"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// SendLB queues m on the next pipe, in round-robin order, that is below its
// high-water mark (libzmq's lb, as CLIENT and SCATTER send). With block
// set it waits for room, within ctx and the send timeout; otherwise it
// fails at once with socket.ErrWouldBlock. A failed send returns a
// *SendError holding m. A nil ctx is refused (socket.ErrInvalidInput).
func (s *Socket) SendLB(ctx context.Context, m socket.Msg, block bool) error {
	if ctx == nil {
		return &socket.SendError{Msg: m, Err: ErrNilContext}
	}
	if ok := s.tryLB(&m); ok {
		return nil
	}
	if s.isClosed() || s.ctx.IsShutdown() {
		return &socket.SendError{Msg: m, Err: s.closedErr()}
	}
	if !block {
		return &socket.SendError{Msg: m, Err: socket.ErrWouldBlock}
	}
	if err := s.waitSend(ctx, func() (bool, error) { return s.tryLB(&m), nil }); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	return nil
}

// tryLB is one round-robin pass of SendLB. m is not changed.
func (s *Socket) tryLB(m *socket.Msg) bool {
	pipes := *s.pipes.Load()
	n := uint32(len(pipes))
	if n <= 1 {
		// One peer: no turn to take (the round-robin counter is an
		// atomic add per send).
		if n == 0 {
			return false
		}
		ok, err := pipes[0].trySend(m)
		return ok && err == nil
	}
	start := s.rr.Add(1)
	for i := uint32(0); i < n; i++ {
		if ok, err := pipes[(start+i)%n].trySend(m); ok && err == nil {
			return true
		}
	}
	return false
}

// SendTo queues m on the pipe with routing id id (a SERVER's route). An
// unknown id fails at once with socket.ErrHostUnreachable; a full pipe
// blocks (or fails with socket.ErrWouldBlock) like SendLB. A nil ctx is
// refused (socket.ErrInvalidInput).
func (s *Socket) SendTo(ctx context.Context, id socket.RoutingID, m socket.Msg, block bool) error {
	if ctx == nil {
		return &socket.SendError{Msg: m, Err: ErrNilContext}
	}
	p := s.PipeByID(id)
	if p == nil {
		if s.isClosed() || s.ctx.IsShutdown() {
			return &socket.SendError{Msg: m, Err: s.closedErr()}
		}
		return &socket.SendError{Msg: m, Err: socket.ErrHostUnreachable}
	}
	ok, err := p.TrySend(m)
	if err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	if ok {
		return nil
	}
	if !block {
		return &socket.SendError{Msg: m, Err: socket.ErrWouldBlock}
	}
	if err := s.waitSend(ctx, func() (bool, error) { return p.TrySend(m) }); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	return nil
}

// WaitSend blocks until try reports success or an error, re-running it
// whenever a pipe gains room or a peer arrives, within ctx and the send
// timeout. Socket types with their own send rule (RADIO's no-drop
// fan-out) build on it. A nil ctx is refused (ErrNilContext).
func (s *Socket) WaitSend(ctx context.Context, try func() (bool, error)) error {
	if ctx == nil {
		return ErrNilContext
	}
	return s.waitSend(ctx, try)
}

func (s *Socket) waitSend(ctx context.Context, try func() (bool, error)) error {
	s.sendWaiters.Add(1)
	defer s.sendWaiters.Add(-1)
	t, tc := timeout(time.Duration(s.sendTimeout.Load()))
	defer stopTimer(t)
	for {
		ready := s.sendReady.wait()
		ok, err := try()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		case <-tc:
			return errTimeout
		case <-s.done:
			return s.closedErr()
		case <-s.ctxDown:
			return socket.ErrInvalidCtx
		}
	}
}

// Recv returns the next incoming message, fair-queued across peers. With
// block set it waits within ctx and the receive timeout; otherwise it fails
// at once with socket.ErrWouldBlock. A nil ctx is refused
// (socket.ErrInvalidInput).
func (s *Socket) Recv(ctx context.Context, block bool) (m socket.Msg, err error) {
	if ctx == nil {
		return socket.Msg{}, ErrNilContext
	}
	q := &s.in
	if q.popTo(&m) {
		return m, nil
	}
	if s.isClosed() || s.ctx.IsShutdown() {
		return socket.Msg{}, s.closedErr()
	}
	if !block {
		return socket.Msg{}, socket.ErrWouldBlock
	}
	if s.inprocUsed.Load() {
		for range recvSpins {
			runtime.Gosched()
			if q.popTo(&m) {
				return m, nil
			}
		}
	}
	t, tc := timeout(time.Duration(s.recvTimeout.Load()))
	defer stopTimer(t)
	// Register as a waiter, then look again: a push that came before the
	// registration is found by the pop, one after it signals q.wake.
	for {
		q.mu.Lock()
		q.waiters++
		q.mu.Unlock()
		ok := q.popTo(&m)
		if !ok {
			select {
			case <-q.wake:
			case <-ctx.Done():
				err = ctx.Err()
			case <-tc:
				err = errTimeout
			case <-s.done:
				err = s.closedErr()
			case <-s.ctxDown:
				err = socket.ErrInvalidCtx
			}
		}
		q.done()
		if ok {
			return m, nil
		}
		if err != nil {
			return socket.Msg{}, err
		}
	}
}

// done unregisters a waiting receiver.
func (q *fairQueue) done() {
	q.mu.Lock()
	q.waiters--
	q.mu.Unlock()
}

// Blocked reports how many Recv calls and how many sends are waiting right
// now (for tests that must know a call is blocked before they act).
func (s *Socket) Blocked() (recv, send int) {
	s.in.mu.Lock()
	recv = s.in.waiters
	s.in.mu.Unlock()
	return recv, int(s.sendWaiters.Load())
}

// timeout returns a timer that fires after d and its channel, or, for d <=
// 0 (no timeout), nil and a nil channel, which a select never takes.
func timeout(d time.Duration) (*time.Timer, <-chan time.Time) {
	if d <= 0 {
		return nil, nil
	}
	t := time.NewTimer(d)
	return t, t.C
}

// stopTimer stops a timer from timeout, if there is one.
func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// Readiness returns, for a poller, a channel closed at the next change
// that may make the socket readable (a message queued) or writable (a
// pipe gained room or a peer arrived), whether the socket has a message
// to receive now, and whether some pipe has room now. Take the channel
// before acting on the answers, so no change is missed; it also closes
// when the socket or its Ctx does.
func (s *Socket) Readiness() (in, out <-chan struct{}, readable, writable bool) {
	in, out = s.in.ready.wait(), s.sendReady.wait()
	s.in.mu.Lock()
	readable = s.in.n > 0
	s.in.mu.Unlock()
	for _, p := range s.Pipes() {
		if !p.FullFor(0) {
			writable = true
			break
		}
	}
	return in, out, readable, writable
}

// Done is closed when the socket closes.
func (s *Socket) Done() <-chan struct{} { return s.done }

// recvSpins is how many times a blocking Recv on a socket with inproc
// links yields the processor and looks again before it sleeps. An inproc
// sender on another goroutine usually delivers within that time when
// messages stream, and a receiver that sleeps must be woken and
// rescheduled, which Go does on the waker's processor: sender and receiver
// then take turns on one processor instead of running side by side.
// (Over tcp and ipc the next message comes from the network, and a
// receiver just sleeps.)
const recvSpins = 10
