package engine

import (
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/socket"
)

// inbox is the incoming queue of an inproc pipe (one that is not
// conflating): two slices that change hands a batch at a time, so that a
// sender and a receiver running side by side do not meet on a lock per
// message.
//
// Senders append to msgs under mu, a lock receivers take once per batch.
// A receiver serves messages from batch, under its socket's fair-queue
// lock (which senders never take while the pipe is in the fair queue's
// ring); when batch runs out it swaps the whole of msgs in under mu, and
// hands its emptied array back for the senders to fill. So in a steady
// flow each side takes its own lock per message and the other's once per
// batch, and neither allocates once the two arrays have grown to the
// bound.
//
// Wake-ups follow the empty and full edges only. A receiver that finds
// both slices empty takes the pipe out of the ring and marks it parked;
// the one send that finds it parked puts it back (under the fair-queue
// lock) and wakes a blocked receiver; the sends after it only append. A
// send refused at the bound sets waiting; the receiver, seeing it, reports
// how much it still holds and wakes the senders once the queue has
// drained to half its bounds (inRoom's rule), and not before.
//
// The bounds are exact: the count a send is checked against is msgs plus
// what the receiver held at its last report (held, heldBytes), which can
// only overstate what it holds now; a send that this stale count would
// refuse looks again under the fair-queue lock, where batch's true length
// is known, before it is refused.
//
// The padding keeps the senders' half and the receivers' half on cache
// lines of their own.
type inbox struct {
	_ [64]byte

	// The senders' half. icept and filter are the receiving socket's
	// (set before the pipe is published, never changed): copies here, so
	// that senders do not read the socket's lines next to the fair-queue
	// lock, which the receiver writes at every pop. The rest is guarded
	// by mu.
	icept     Interceptor
	filter    func(group string) bool
	scratch   sync.Pool // of *socket.Msg: the copies icept sees (see pushBoxIntercepted)
	mu        sync.Mutex
	msgs      []socket.Msg
	bytes     int64 // body bytes of msgs
	held      int   // messages left in batch at the receiver's last report
	heldBytes int64 // their bytes
	parked    bool  // out of the fair queue's ring: the next send puts it back

	_ [64]byte

	// The receivers' half, guarded by the receiving socket's fair-queue
	// lock (fairQueue.mu).
	batch      []socket.Msg
	head       int   // next message of batch
	batchBytes int64 // body bytes of batch[head:]
	recheck    int   // pops before waiting's room is looked at again
	// waiting: a send was refused at the bound since the receiver's last
	// report. Set under mu, cleared under mu and the fair-queue lock; the
	// receiver reads it (without mu) at each pop.
	waiting atomic.Bool

	_ [64]byte
}

func newInbox(s *Socket) *inbox { return &inbox{icept: s.icept, filter: s.filter, parked: true} }

// full reports whether a message of n bytes (at least 1) finds the queue
// at the pipe's bounds, counting batch as last reported. b.mu must be
// held.
func (b *inbox) full(p *Pipe, n int) bool {
	queued := b.bytes + b.heldBytes
	return p.recvHWM > 0 && len(b.msgs)+b.held >= p.recvHWM ||
		p.recvBytes > 0 && queued > 0 && queued+int64(n) > p.recvBytes
}

// report brings held up to date with batch. b.mu and the fair-queue lock
// must be held.
func (b *inbox) report() {
	b.held, b.heldBytes = len(b.batch)-b.head, b.batchBytes
}

// roomLocked reports whether the queue has drained to half its bounds,
// where senders stopped at them resume. b.mu must be held, with held up to
// date.
func (b *inbox) roomLocked(p *Pipe) bool {
	return (p.recvHWM == 0 || len(b.msgs)+b.held <= p.recvHWM/2) &&
		(p.recvBytes == 0 || b.bytes+b.heldBytes <= p.recvBytes/2)
}

// pushBox is pushIn for a pipe with an inbox: m (already past the
// interceptor) goes to the back of msgs unless the pipe is closed or at
// its bounds; keep false (the filter refused its group) takes it and
// drops it, as pushIn does. m is not changed.
func (p *Pipe) pushBox(m *socket.Msg, keep bool) (bool, error) {
	b := p.box
	n := m.Len()
	if m.Tail != nil && keep {
		jm := Joined(*m) // its own body: allocate before taking the lock
		m = &jm
	}
	b.mu.Lock()
	if p.closed {
		b.mu.Unlock()
		return false, socket.ErrHostUnreachable
	}
	if b.full(p, max(n, 1)) {
		b.mu.Unlock()
		return p.pushBoxSlow(m, n, keep)
	}
	if !keep {
		b.mu.Unlock()
		return true, nil
	}
	p.appendBox(m, n)
	wasParked := b.parked
	b.parked = false
	b.mu.Unlock()
	if wasParked {
		q := &p.s.in
		q.mu.Lock()
		p.activateLocked()
		wake := q.waiters > 0
		q.mu.Unlock()
		p.wakeReceivers(wake)
	}
	return true, nil
}

// pushBoxIntercepted is pushBox through the receiving socket's
// interceptor, which sees (and may change) a copy of m. The copy is one of
// the inbox's scratch messages: a message whose address goes through the
// Interceptor interface would otherwise move to the heap, an allocation
// per send. The interceptor must not keep the pointer (package patterns'
// do not).
func (p *Pipe) pushBoxIntercepted(m *socket.Msg) (bool, error) {
	b := p.box
	im, _ := b.scratch.Get().(*socket.Msg)
	if im == nil {
		im = new(socket.Msg)
	}
	*im = *m
	if im.Peer == nil {
		im.Peer = p.peer.Load()
	}
	im.RoutingID = p.id
	ok, err := true, error(nil) // taken (and dropped, if the interceptor says so: inproc peers are ours, an error is a bug of theirs)
	if keep, ierr := b.icept.Intercept(p, im); ierr == nil && keep {
		ok, err = p.pushBox(im, b.filter == nil || b.filter(im.Group))
	}
	*im = socket.Msg{}
	b.scratch.Put(im)
	return ok, err
}

// appendBox appends a copy of m, n bytes, to msgs, with the pipe's routing
// id and peer. b.mu must be held.
func (p *Pipe) appendBox(m *socket.Msg, n int) {
	b := p.box
	b.msgs = append(b.msgs, *m)
	e := &b.msgs[len(b.msgs)-1]
	if e.Peer == nil {
		e.Peer = p.peer.Load()
	}
	e.RoutingID = p.id
	b.bytes += int64(n)
}

// pushBoxSlow is pushBox when the count as last reported says full: it
// looks again with the receiver's batch as it is now (under the
// fair-queue lock), and refuses m only if the queue is truly at its
// bounds, marking the senders as waiting.
func (p *Pipe) pushBoxSlow(m *socket.Msg, n int, keep bool) (bool, error) {
	b := p.box
	q := &p.s.in
	q.mu.Lock()
	b.mu.Lock()
	if p.closed {
		b.mu.Unlock()
		q.mu.Unlock()
		return false, socket.ErrHostUnreachable
	}
	b.report()
	if b.full(p, max(n, 1)) {
		b.waiting.Store(true)
		b.mu.Unlock()
		q.mu.Unlock()
		return false, nil
	}
	if !keep {
		b.mu.Unlock()
		q.mu.Unlock()
		return true, nil
	}
	p.appendBox(m, n)
	b.parked = false
	b.mu.Unlock()
	p.activateLocked()
	wake := q.waiters > 0
	q.mu.Unlock()
	p.wakeReceivers(wake)
	return true, nil
}

// fullBox is FullFor for a pipe with an inbox: whether a message of n
// bytes would be refused now. A full answer marks the senders as waiting,
// so the receiver wakes them as it drains.
func (p *Pipe) fullBox(n int) bool {
	b := p.box
	q := &p.s.in
	q.mu.Lock()
	b.mu.Lock()
	b.report()
	full := b.full(p, n)
	if full {
		b.waiting.Store(true)
	}
	b.mu.Unlock()
	q.mu.Unlock()
	return full
}

// put appends m past the bounds (what an inproc peer queued before the
// bind, Inject) and marks the pipe unparked; the caller, holding the
// fair-queue lock, activates it.
func (b *inbox) put(m socket.Msg) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.bytes += int64(m.Len())
	b.parked = false
	b.mu.Unlock()
}

// activateLocked puts p in its fair queue's ring unless it is there. The
// fair-queue lock must be held.
func (p *Pipe) activateLocked() {
	if !p.inActive {
		p.inActive = true
		p.s.in.activate(p)
	}
}

// wakeReceivers tells a socket's receivers and pollers that a pipe came
// into its ring; wake: a receiver is blocked in Recv. Called with no lock
// held.
func (p *Pipe) wakeReceivers(wake bool) {
	q := &p.s.in
	if wake {
		q.signal()
	}
	q.ready.broadcast()
}

// pop takes the next message of p's inbox into *m, p being at the head of
// the fair queue's ring. ok is false only if the inbox is empty (a pipe in
// the ring normally holds a message). keep reports whether p stays in the
// ring (false: it parked, empty), wake whether senders waiting at the
// bound must be woken now (after the fair-queue lock is released). The
// fair-queue lock must be held.
func (b *inbox) pop(p *Pipe, m *socket.Msg) (ok, keep, wake bool) {
	if b.head == len(b.batch) {
		var more bool
		if more, wake = b.swap(p); !more {
			return false, false, wake
		}
	}
	e := &b.batch[b.head]
	*m = *e
	b.head++
	b.batchBytes -= int64(m.Len())
	if b.head == len(b.batch) {
		var w bool
		keep, w = b.swap(p)
		return true, keep, wake || w
	}
	if b.waiting.Load() {
		if b.recheck > 1 {
			b.recheck--
		} else {
			b.mu.Lock()
			b.report()
			wake = b.wakeLocked(p) || wake
			if !wake && p.recvHWM > 0 {
				// The count falls by one per pop at most: look again
				// when it may have reached half.
				b.recheck = len(b.msgs) + b.held - p.recvHWM/2
			}
			b.mu.Unlock()
		}
	}
	return true, true, wake
}

// swap moves everything the senders queued into the emptied batch, giving
// them batch's array to fill next. If there was nothing, the pipe parks:
// it reports false, and the caller takes it out of the ring. wake: senders
// waiting at the bound must be woken. The fair-queue lock must be held.
func (b *inbox) swap(p *Pipe) (more, wake bool) {
	clear(b.batch[:b.head]) // what was taken: the bodies are the caller's now
	b.mu.Lock()
	b.batch, b.msgs = b.msgs, b.batch[:0]
	b.head = 0
	b.batchBytes, b.bytes = b.bytes, 0
	more = len(b.batch) > 0
	b.parked = !more
	b.report()
	wake = b.waiting.Load() && b.wakeLocked(p)
	b.mu.Unlock()
	return more, wake
}

// wakeLocked reports, for a receiver that sees senders waiting, whether
// they may go on (the queue has drained to half its bounds), clearing
// waiting if so. b.mu and the fair-queue lock must be held, held up to
// date.
func (b *inbox) wakeLocked(p *Pipe) bool {
	if !b.roomLocked(p) {
		return false
	}
	b.waiting.Store(false)
	b.recheck = 0
	return true
}

// drop empties the inbox (its socket is closed: nobody will receive what
// it holds), keeping the pipe's place in the ring; a pop then finds it
// empty and parks it. The fair-queue lock must be held.
func (b *inbox) drop() {
	clear(b.batch)
	b.batch, b.head, b.batchBytes = b.batch[:0], 0, 0
	b.mu.Lock()
	clear(b.msgs)
	b.msgs, b.bytes = b.msgs[:0], 0
	b.report()
	b.mu.Unlock()
}
