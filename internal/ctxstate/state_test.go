package ctxstate

import (
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type member struct{ closed, woken atomic.Int32 }

func (m *member) Close() error { m.closed.Add(1); return nil }
func (m *member) Wake()        { m.woken.Add(1) }

func TestShutdownWakesAndCloseClosesMembers(t *testing.T) {
	st := New(nil, 42)
	if st.Log() == nil || st.Inproc() == nil || st.Pooled() != 42 {
		t.Fatalf("New: log %v, inproc %v, pooled %v", st.Log(), st.Inproc(), st.Pooled())
	}
	a, b := &member{}, &member{}
	if !st.Add(a) || !st.Add(b) {
		t.Fatal("Add refused a member of a live State")
	}
	st.Remove(b)
	if st.IsShutdown() {
		t.Fatal("shut down before Shutdown")
	}
	st.Shutdown()
	select {
	case <-st.Down():
	default:
		t.Fatal("Down not closed by Shutdown")
	}
	if !st.IsShutdown() || a.woken.Load() != 1 || b.woken.Load() != 0 {
		t.Fatalf("after Shutdown: shut down %v, a woken %d, removed b woken %d", st.IsShutdown(), a.woken.Load(), b.woken.Load())
	}
	if st.Add(&member{}) {
		t.Fatal("Add accepted a member after Shutdown")
	}
	st.Shutdown() // twice is harmless
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if a.closed.Load() != 1 || b.closed.Load() != 0 {
		t.Fatalf("Close closed a %d times, removed b %d times", a.closed.Load(), b.closed.Load())
	}
}
