package socket

import (
	"testing"
	"unsafe"

	"github.com/zmesh/zmesh/internal/bodypool"
	"github.com/zmesh/zmesh/internal/ctxstate"
)

func TestMaxSharedBodyIsWherePoolsStart(t *testing.T) {
	if got, want := MaxSharedBody, bodypool.Min; got != want {
		t.Fatalf("MaxSharedBody %d, the body pools start above %d", got, want)
	}
}

func TestRelease(t *testing.T) {
	for _, n := range []int{0, 16, MaxSharedBody, MaxSharedBody + 1, 5000, 64 << 10, bodypool.Max, bodypool.Max + 1} {
		m := Msg{Body: bodypool.New(n), pooled: pooledClass}
		m.Release()
		if m.Body != nil {
			t.Fatal("Release left Body set")
		}
		m.Release() // harmless on a released message
	}
	// A released body comes back for the next message of its class (the
	// race detector makes sync.Pool drop some Puts, so try a few times).
	reused := false
	for i := 0; i < 50 && !reused; i++ {
		b := bodypool.New(5000)
		p := unsafe.SliceData(b)
		(&Msg{Body: b, pooled: pooledClass}).Release()
		reused = unsafe.SliceData(bodypool.New(4900)) == p
	}
	if !reused {
		t.Fatal("a released body was never reused")
	}
	// A message zmesh did not fill from its pools (inproc: the sender's
	// memory) is never pooled, whatever its size.
	for i := 0; i < 50; i++ {
		b := make([]byte, 5000, 5120)
		p := unsafe.SliceData(b)
		(&Msg{Body: b}).Release()
		if unsafe.SliceData(bodypool.New(5000)) == p {
			t.Fatal("a body that was not pooled went into the pool")
		}
	}
}

func TestCtxPooledTemplate(t *testing.T) {
	c := NewCtx(nil)
	defer c.Close()
	ms, ok := (*ctxstate.State)(c).Pooled().([2]Msg)
	if !ok {
		t.Fatalf("the Ctx's pooled templates are %T", (*ctxstate.State)(c).Pooled())
	}
	for i, m := range ms {
		if m.pooled != [2]uint8{pooledClass, pooledSlab}[i] || m.Body != nil || m.Tail != nil || m.RoutingID != 0 || m.Group != "" || m.Peer != nil {
			t.Fatalf("the Ctx's pooled template %d is %#v, want a Msg with only the pooled mark", i, m)
		}
	}
}
