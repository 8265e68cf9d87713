// Package bodypool holds received message bodies for reuse: size-classed
// pools the engine takes bodies from (New) and socket.Msg.Release gives
// them back to (Release). It is shared by both packages, so it sits below
// them.
package bodypool

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Received bodies from just over Min up to Max bytes come from
// size-classed pools, so a receiver that gives them back (Msg.Release)
// makes the next ones without allocating. Classes are quarter steps between
// powers of two (1280, 1536, 1792, 2048, 2560, ... 1 MiB): a body wastes at
// most a fifth of its class.
const (
	poolMinShift = 10 // classes start above 1<<poolMinShift (= Min)
	poolMaxShift = 20 // and end at 1<<poolMaxShift (= Max)
	poolClasses  = (poolMaxShift - poolMinShift) * 4
)

// Min and Max bound the body sizes the pools serve: more than Min bytes, at
// most Max. The engine carves bodies of up to Min bytes from shared slabs
// (socket.MaxSharedBody), and grows larger frames in steps of Max.
const (
	Min = 1 << poolMinShift
	Max = 1 << poolMaxShift
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

// New returns a body of length n, from a pool when one serves n.
func New(n int) []byte {
	c, size, ok := poolClass(n)
	if !ok {
		return make([]byte, n)
	}
	if p, _ := bodyPools[c].Get().(unsafe.Pointer); p != nil {
		return unsafe.Slice((*byte)(p), size)[:n]
	}
	misses.Add(1)
	return make([]byte, n, size)
}

// misses counts the pooled-size bodies New allocated (see Misses).
var misses atomic.Uint64

// Misses returns how many bodies of the sizes the pools serve New has
// allocated since the process started, for want of a free one: bodies
// nobody released, or dropped by the pools (the garbage collector empties
// them; under the race detector they drop a quarter of what they get).
func Misses() uint64 { return misses.Load() }

// Release puts b's memory into the pool of the largest class that fits in
// its capacity; memory the pools do not serve is left to the GC. b must not
// be used afterwards.
func Release(b []byte) {
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
