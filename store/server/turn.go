package server

// turn is a lock for workers that take turns (receiving from a socket):
// a channel of one slot rather than a sync.Mutex. A mutex whose waiters
// wait long (idle workers queue behind the one waiting in Recv, often for
// more than a millisecond) goes into starvation mode, where Unlock hands
// the lock to the next waiter and yields its processor to it: the worker
// that just received a request would stand aside, on the request's path,
// while an idle worker starts waiting. Releasing a turn readies the next
// waiter and carries on.
type turn struct{ slot chan struct{} }

func newTurn() turn { return turn{slot: make(chan struct{}, 1)} }

// Lock waits for the turn.
func (t turn) Lock() { t.slot <- struct{}{} }

// TryLock takes the turn if it is free.
func (t turn) TryLock() bool {
	select {
	case t.slot <- struct{}{}:
		return true
	default:
		return false
	}
}

// Unlock gives the turn back.
func (t turn) Unlock() { <-t.slot }
