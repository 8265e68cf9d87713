package server

import (
	"context"
	"testing"
	"time"
)

// Contexts handed out within one window are the same; a window closes
// about d/2 after it opened (by its timer), and its context expires d to
// 1.5·d after it opened.
func TestDeadlinesWindows(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	const d = 200 * time.Millisecond
	w := newDeadlines(parent, d)
	before := time.Now()
	first := w.get()
	after := time.Now()
	// Two gets in a row give one context, unless the window closed
	// between them (a stall of d/2 on a busy machine).
	if w.get() != first && time.Since(before) < d/2 {
		t.Fatal("two gets in a row, within d/2, gave two contexts")
	}
	dl, ok := first.Deadline()
	if !ok || dl.Before(before.Add(d)) || dl.After(after.Add(d+d/2)) {
		t.Fatalf("deadline %v after the get, want %v to %v", dl.Sub(before), d, d+d/2)
	}
	// The window closes d/2 after it opened: wait for a new context (with
	// a large bound), which must come before the first expires.
	limit := time.Now().Add(10 * time.Second)
	for w.get() == first {
		if time.Now().After(limit) {
			t.Fatal("no new window 10s after the first opened")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if time.Since(before) < d/2 {
		t.Fatalf("a new window %v after the first, want d/2 = %v at least", time.Since(before), d/2)
	}
	second := w.get()
	if second.Err() != nil {
		t.Fatalf("a new window's context is done: %v", second.Err())
	}
	// Cancelling the parent ends every window's context.
	cancel()
	<-first.Done()
	<-second.Done()
}
