package proto

import (
	"errors"
	"testing"
)

func TestRecvWindow(t *testing.T) {
	w, first := NewRecvWindow(KindPutCredit, 7, 0, 3, 0)
	if first != (Credit{Kind: KindPutCredit, ID: 7, Next: 0, Window: DefaultWindow}) {
		t.Fatalf("first credit %+v", first)
	}
	if err := w.Check(1); !errors.Is(err, ErrStreamOrder) {
		t.Fatalf("chunk 1 first: %v, want ErrStreamOrder", err)
	}
	for i := uint64(0); i < 3; i++ {
		if err := w.Check(i); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if c := w.Accept(); c.Next != i+1 || c.Window != DefaultWindow {
			t.Fatalf("credit after chunk %d: %+v", i, c)
		}
	}
	if !w.Done() {
		t.Fatal("not done after every chunk")
	}
	if err := w.Check(3); !errors.Is(err, ErrStreamOrder) {
		t.Fatalf("a chunk more than declared: %v", err)
	}
	// A resumed receiver starts where it left off; windows are capped.
	w, first = NewRecvWindow(KindReplyCredit, 1, 5, 10, 1000)
	if first.Next != 5 || first.Window != MaxWindow || w.Next() != 5 {
		t.Fatalf("resumed: %+v", first)
	}
	if err := w.Check(4); !errors.Is(err, ErrStreamOrder) {
		t.Fatalf("a chunk before the resume point: %v", err)
	}
}

func TestSendWindow(t *testing.T) {
	var w SendWindow
	if w.CanSend(0) {
		t.Fatal("sending before any credit")
	}
	if err := w.Grant(Credit{Next: 3, Window: 2}, 0); err != nil { // a resume at chunk 3
		t.Fatal(err)
	}
	if !w.CanSend(3) || !w.CanSend(4) || w.CanSend(5) || w.Acked() != 3 {
		t.Fatalf("window after credit 3+2: %+v", w)
	}
	if err := w.Grant(Credit{Next: 5, Window: 2}, 5); err != nil {
		t.Fatal(err)
	}
	if err := w.Grant(Credit{Next: 4, Window: 9}, 5); !errors.Is(err, ErrStreamOrder) {
		t.Fatalf("stale credit: %v", err)
	}
	if err := w.Grant(Credit{Next: 6, Window: 1}, 5); !errors.Is(err, ErrStreamOrder) {
		t.Fatalf("credit for a chunk not sent: %v", err)
	}
	if !w.CanSend(6) || w.CanSend(7) {
		t.Fatalf("window after refused credits: %+v", w)
	}
}
