package server

import (
	"testing"
	"time"
)

// A turn is held by one at a time: TryLock fails while it is held, and a
// waiting Lock gets it once it is given back.
func TestTurn(t *testing.T) {
	tn := newTurn()
	tn.Lock()
	if tn.TryLock() {
		t.Fatal("TryLock took a turn that was held")
	}
	got := make(chan struct{})
	go func() {
		tn.Lock()
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("Lock took a turn that was held")
	case <-time.After(20 * time.Millisecond):
	}
	tn.Unlock()
	select {
	case <-got:
	case <-time.After(time.Minute):
		t.Fatal("Lock did not get the turn given back")
	}
	tn.Unlock()
	if !tn.TryLock() {
		t.Fatal("TryLock did not take a free turn")
	}
	tn.Unlock()
}
