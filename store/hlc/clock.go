package hlc

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// DefaultMaxDrift is how far in the future a received timestamp may be
// before Clock.Update refuses it: 500 ms, as Zenoh's HLC (uhlc).
const DefaultMaxDrift = 500 * time.Millisecond

// Option configures a Clock (see NewClock).
type Option func(*Clock)

// WithMaxDrift sets how far ahead of the local wall clock a received
// timestamp may be (default DefaultMaxDrift). Zero refuses any timestamp
// from the future; a negative duration turns the check off.
func WithMaxDrift(d time.Duration) Option {
	return func(c *Clock) { c.maxDrift = d; c.driftSet = true }
}

// WithTimeSource makes the clock read physical time from now instead of
// time.Now; tests use it to step time forwards and backwards. A nil now
// means time.Now.
func WithTimeSource(now func() time.Time) Option {
	return func(c *Clock) { c.now = now }
}

// Clock issues timestamps. It is safe for concurrent use by many
// goroutines.
//
// The zero Clock is usable: it has the zero ID, reads time.Now and allows
// DefaultMaxDrift. Real servers should use NewClock with NewID().
type Clock struct {
	id       ID
	now      func() time.Time // nil: time.Now
	maxDrift time.Duration
	driftSet bool // maxDrift was set by an option (else DefaultMaxDrift)

	// mu guards last. Invariant: every timestamp Now returned, and every
	// remote timestamp Update accepted, is <= (last.time, last.counter);
	// the next Now returns something strictly greater.
	mu   sync.Mutex
	last struct {
		time    int64
		counter uint32
	}
}

// NewClock returns a clock that stamps with the given ID.
func NewClock(id ID, opts ...Option) *Clock {
	c := &Clock{id: id}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// ID returns the clock's ID, the Source of every timestamp it issues.
func (c *Clock) ID() ID { return c.id }

// MaxDrift returns the maximum drift Update allows (negative: unchecked).
func (c *Clock) MaxDrift() time.Duration {
	if !c.driftSet {
		return DefaultMaxDrift
	}
	return c.maxDrift
}

func (c *Clock) physical() int64 {
	if c.now == nil {
		return time.Now().UnixNano()
	}
	return c.now().UnixNano()
}

// Now returns a new timestamp, strictly greater than every timestamp this
// clock issued before and every timestamp it accepted with Update. Its
// Time is the wall clock when that is ahead of everything seen so far;
// otherwise Time stays and Counter grows (if Counter would overflow, Time
// moves on by one nanosecond).
func (c *Clock) Now() Timestamp {
	pt := c.physical()
	c.mu.Lock()
	if pt > c.last.time {
		c.last.time, c.last.counter = pt, 0
	} else if c.last.counter == math.MaxUint32 {
		c.last.time++
		c.last.counter = 0
	} else {
		c.last.counter++
	}
	t := Timestamp{Time: c.last.time, Counter: c.last.counter, Source: c.id}
	c.mu.Unlock()
	return t
}

// Update merges a timestamp received from another clock, so that every
// later Now is greater than it. A timestamp more than MaxDrift ahead of the
// local wall clock is refused with an error matching ErrDrift, and the
// clock is left unchanged.
func (c *Clock) Update(remote Timestamp) error {
	pt := c.physical()
	if d := c.MaxDrift(); d >= 0 && remote.Time > pt {
		// remote.Time > pt, so the difference fits in a uint64.
		if ahead := uint64(remote.Time) - uint64(pt); ahead > uint64(d) {
			return fmt.Errorf("%w: %s is %v ahead of the local clock (max drift %v)",
				ErrDrift, remote, time.Duration(min(ahead, math.MaxInt64)), d)
		}
	}
	c.mu.Lock()
	if remote.Time > c.last.time || (remote.Time == c.last.time && remote.Counter > c.last.counter) {
		c.last.time, c.last.counter = remote.Time, remote.Counter
	}
	c.mu.Unlock()
	return nil
}
