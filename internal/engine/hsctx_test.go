package engine

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHSContext: the handshake's context ends at its deadline or with its
// parent, whether it is asked through Err alone or waited on through Done,
// and reports the earlier of the two deadlines.
func TestHSContext(t *testing.T) {
	t.Run("deadline through Err", func(t *testing.T) {
		h := newHSContext(context.Background(), 20*time.Millisecond)
		defer h.stop()
		if err := h.Err(); err != nil {
			t.Fatalf("Err %v before the deadline", err)
		}
		time.Sleep(30 * time.Millisecond)
		if err := h.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err %v, want DeadlineExceeded", err)
		}
	})
	t.Run("deadline through Done", func(t *testing.T) {
		h := newHSContext(context.Background(), 20*time.Millisecond)
		defer h.stop()
		select {
		case <-h.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("Done not closed at the deadline")
		}
		if err := h.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err %v, want DeadlineExceeded", err)
		}
	})
	t.Run("parent cancelled", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		h := newHSContext(parent, time.Hour)
		defer h.stop()
		done := h.Done()
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Done not closed with the parent")
		}
		if err := h.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err %v, want Canceled", err)
		}
	})
	t.Run("no timeout", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		h := newHSContext(parent, 0)
		if _, ok := h.Deadline(); ok {
			t.Fatal("a deadline without a timeout")
		}
		cancel()
		if err := h.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err %v, want Canceled", err)
		}
		<-h.Done()
		h.stop()
	})
	t.Run("earlier deadline wins", func(t *testing.T) {
		parent, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		pd, _ := parent.Deadline()
		h := newHSContext(parent, time.Hour)
		if d, ok := h.Deadline(); !ok || !d.Equal(pd) {
			t.Fatalf("Deadline %v, want the parent's %v", d, pd)
		}
		h2 := newHSContext(parent, time.Millisecond)
		if d, _ := h2.Deadline(); !d.Equal(h2.deadline) {
			t.Fatalf("Deadline %v, want the handshake's %v", d, h2.deadline)
		}
	})
	t.Run("stop releases Done's timer", func(t *testing.T) {
		h := newHSContext(context.Background(), time.Hour)
		done := h.Done()
		h.stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("stop did not release Done")
		}
	})
}
