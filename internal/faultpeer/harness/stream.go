package harness

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/socket"
)

// Stream sends messages 0..total-1 (interop.Pattern bodies) through a
// connecting socket with one pipe (a CLIENT or SCATTER connected to one
// peer), blocking at the high-water mark, so a test can kill the peer
// mid-stream and then check what libzmq's rules say must survive.
//
// The rule: messages still on the pipe's queue when the link is found dead
// (EventDisconnected: its writer has ended) go to the next connection, and
// so do messages queued after that. Stream works out from which sequence
// number on every message is therefore owed to the next peer (Survivors):
//
//   - if the sender could go on while the peer was down, the first message
//     whose send started after the test called Down;
//   - if the queue was full (the usual case when the peer is slower than
//     the sender: nothing drains it while the link is down), the queue
//     holds exactly the last SendHWM messages sent, all owed.
type Stream struct {
	s     *engine.Socket
	total int

	down       atomic.Bool
	sent       atomic.Int64 // messages whose send has returned
	afterDown  atomic.Int64 // first seq sent after Down, -1 until then
	queuedDown chan struct{}
	done       chan error
	survivors  int
	once       sync.Once
}

// queuedDuringDowntime is how many messages WaitDowntime wants queued while
// the peer is down when the queue has room.
const queuedDuringDowntime = 500

// StartStream starts sending total messages of size bytes through s.
func StartStream(ctx context.Context, s *engine.Socket, total, size int) *Stream {
	st := &Stream{s: s, total: total, queuedDown: make(chan struct{}), done: make(chan error, 1)}
	st.afterDown.Store(-1)
	go func() {
		for seq := 0; seq < total; seq++ {
			if st.down.Load() {
				st.afterDown.CompareAndSwap(-1, int64(seq))
				if int64(seq) == st.afterDown.Load()+queuedDuringDowntime {
					st.once.Do(func() { close(st.queuedDown) })
				}
			}
			if err := s.SendLB(ctx, socket.Msg{Body: interop.Pattern(seq, size)}, true); err != nil {
				st.done <- fmt.Errorf("send %d: %w", seq, err)
				return
			}
			st.sent.Store(int64(seq + 1))
		}
		st.done <- nil
	}()
	return st
}

// Down tells the stream the test has seen the peer's link go down
// (EventDisconnected), before the peer comes back.
func (st *Stream) Down() { st.down.Store(true) }

// WaitDowntime waits, with the peer still down, until either 500 messages
// have been queued since Down or the queue is full, and fixes Survivors.
func (st *Stream) WaitDowntime(timeout time.Duration) error {
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Millisecond) // the queue has no "full" event
	defer tick.Stop()
	for {
		select {
		case <-st.queuedDown:
			st.survivors = int(st.afterDown.Load())
			return nil
		case err := <-st.done:
			st.done <- err
			return fmt.Errorf("the stream ended while the peer was down: %v", err)
		case <-deadline:
			return fmt.Errorf("neither %d messages queued nor the queue full %v after the peer went down", queuedDuringDowntime, timeout)
		case <-tick.C:
			pipes := st.s.Pipes()
			if len(pipes) != 1 {
				return fmt.Errorf("stream needs exactly one pipe, the socket has %d", len(pipes))
			}
			// While the peer is down nothing drains a full queue and no
			// send completes, so sent is stable between the two looks.
			if pipes[0].Full() {
				n := st.sent.Load()
				if pipes[0].Full() && st.sent.Load() == n {
					st.survivors = int(n) - st.s.Options().SendHWM
					return nil
				}
			}
		}
	}
}

// Stalled waits, with the peer alive but not reading (frozen), until the
// queue is full and the sender blocked, and fixes Survivors: the messages
// on the queue (the last SendHWM sent, which no writer has taken) are owed
// to the next connection whatever happens to this one. Call it before
// killing the peer; Down and WaitDowntime are then not needed.
func (st *Stream) Stalled(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		pipes := st.s.Pipes()
		if len(pipes) != 1 {
			return fmt.Errorf("stream needs exactly one pipe, the socket has %d", len(pipes))
		}
		if pipes[0].Full() {
			// A writer may still be moving a batch into the kernel:
			// stalled means the count stays put and the queue full.
			n := st.sent.Load()
			time.Sleep(100 * time.Millisecond)
			if pipes[0].Full() && st.sent.Load() == n {
				st.survivors = int(n) - st.s.Options().SendHWM
				return nil
			}
			continue
		}
		time.Sleep(10 * time.Millisecond) // the queue has no "full" event
	}
	return fmt.Errorf("the queue did not fill within %v (sent %d)", timeout, st.sent.Load())
}

// Survivors is the first sequence number from which every message must
// reach the next peer (valid after WaitDowntime or Stalled).
func (st *Stream) Survivors() int { return st.survivors }

// Wait waits for the sender to have sent (queued) all total messages.
func (st *Stream) Wait(timeout time.Duration) error {
	select {
	case err := <-st.done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("sender still blocked after %v at message %d of %d", timeout, st.sent.Load(), st.total)
	}
}
