package socket

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Received bodies from just over slabMax up to growStep bytes come from
// size-classed pools, so a receiver that gives them back (Msg.Release)
// makes the next ones without allocating. Classes are quarter steps between
// powers of two (1280, 1536, 1792, 2048, 2560, ... 1 MiB): a body wastes at
// most a fifth of its class.
const (
	poolMinShift = 10 // classes start above 1<<poolMinShift (= slabMax)
	poolMaxShift = 20 // and end at 1<<poolMaxShift (= growStep)
	poolClasses  = (poolMaxShift - poolMinShift) * 4
)

// bodyPools hold pointers to the first byte of free bodies whose capacity
// is exactly their class's size; an unsafe.Pointer goes into an interface
// without an allocation, which a *[]byte would need on every Put.
var bodyPools [poolClasses]sync.Pool

// poolClass returns the class of the smallest pooled size >= n, and that
// size; ok is false for sizes the pools do not serve.
func poolClass(n int) (class, size int, ok bool) {
	if n <= 1<<poolMinShift || n > 1<<poolMaxShift {
		return 0, 0, false
	}
	k := bits.Len(uint(n - 1)) // 2^(k-1) < n <= 2^k
	base, step := 1<<(k-1), 1<<(k-3)
	j := (n - base + step - 1) / step // 1..4
	return (k-1-poolMinShift)*4 + j - 1, base + j*step, true
}

// classSize is the size of class c.
func classSize(c int) int {
	k := c/4 + poolMinShift + 1
	return 1<<(k-1) + (c%4+1)<<(k-3)
}

// newBody returns a body of length n, from a pool when one serves n.
func newBody(n int) []byte {
	c, size, ok := poolClass(n)
	if !ok {
		return make([]byte, n)
	}
	if p, _ := bodyPools[c].Get().(unsafe.Pointer); p != nil {
		return unsafe.Slice((*byte)(p), size)[:n]
	}
	return make([]byte, n, size)
}

// releaseBody puts b's memory into the pool of the largest class that fits
// in its capacity; memory the pools do not serve is left to the GC.
func releaseBody(b []byte) {
	n := cap(b)
	if n <= 1<<poolMinShift {
		return
	}
	c, size, ok := poolClass(min(n, 1<<poolMaxShift))
	if !ok {
		return
	}
	if size > n { // n is between two classes: use the one below
		c--
		if c < 0 {
			return
		}
	}
	bodyPools[c].Put(unsafe.Pointer(unsafe.SliceData(b[:1])))
}

// Release gives m.Body's memory back to zmesh for messages received later
// and sets m.Body to nil. It is optional: a body that is never released is
// simply collected by the garbage collector. Releasing pays off for bodies
// over 1 KiB received over tcp or ipc at high rates, where it replaces an
// allocation per message.
//
// Only memory zmesh took from its pools is reused: bodies over 1 KiB and up
// to 1 MiB received over tcp or ipc without CURVE or NOISE. For any other
// message (inproc bodies, which are the sender's memory; decrypted bodies;
// messages you built) Release only sets Body to nil.
//
// Call it only when nothing refers to the body or any part of it any more:
// a released body is overwritten by a later message. Copies of a Msg share
// its body, so release one copy only.
func (m *Msg) Release() {
	if m.pooled {
		releaseBody(m.Body)
	}
	m.Body, m.pooled = nil, false
}
