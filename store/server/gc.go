package server

import (
	"context"
	"errors"
	"time"

	"github.com/zmesh/zmesh/store/backend"
)

// collectLoop collects old tombstones and retained wildcard deletes, each
// storage at its own period, until ctx is done. It runs on its own
// goroutine, started and waited for by Serve, and owns every storage's
// nextGC (a storage added at run time has a zero nextGC until the loop
// first sees it). Each round holds the current view, so a storage being
// removed is not closed under a collection.
func (s *Server) collectLoop(ctx context.Context) {
	tick := s.gcTick()
	for _, st := range s.cur.Load().storages {
		st.nextGC = time.Now().Add(st.period)
	}
	ticks(ctx, tick, func(now time.Time) time.Duration {
		v := s.acquire()
		for _, st := range v.storages {
			if st.nextGC.IsZero() {
				st.nextGC = now.Add(st.period)
			}
			if st.ReadOnly || now.Before(st.nextGC) {
				continue
			}
			st.nextGC = now.Add(st.period)
			if _, err := s.collectStorage(ctx, st, now); err != nil && ctx.Err() == nil {
				s.log.Warn("store: garbage collection failed", "storage", st.Name, "err", err)
			}
		}
		v.release()
		return s.gcTick()
	})
}

// ticks calls each every period until ctx is done, on the calling
// goroutine; each returns the period until the next call (it may change).
func ticks(ctx context.Context, period time.Duration, each func(now time.Time) time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if next := each(now); next != period {
				period = next
				t.Reset(period)
			}
		}
	}
}

// gcTick is how often collectLoop wakes: the shortest period of the
// server and its current storages.
func (s *Server) gcTick() time.Duration {
	tick := s.opts.GCPeriod
	for _, st := range s.cur.Load().storages {
		tick = min(tick, st.period)
	}
	return tick
}

// CollectGarbage collects, now, in every writable storage, the tombstones
// and retained wildcard deletes older than the storage's lifespan, and
// returns how many tombstones were removed. The server also does this by
// itself every GC period while it serves.
func (s *Server) CollectGarbage(ctx context.Context) (int, error) {
	if ctx == nil {
		return 0, errNilContext
	}
	total := 0
	var errs []error
	now := time.Now()
	v := s.acquire()
	defer v.release()
	for _, st := range v.storages {
		if st.ReadOnly {
			continue
		}
		n, err := s.collectStorage(ctx, st, now)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// collectStorage collects one storage as of now.
func (s *Server) collectStorage(ctx context.Context, st *storage, now time.Time) (int, error) {
	cutoff := now.Add(-st.lifespan)
	var errs []error
	// A retained wildcard delete past its lifespan is buried under a
	// tombstone just newer than it, which the Collect below removes at once
	// (its physical time is the record's).
	for _, r := range st.wild.expire(cutoff.UnixNano()) {
		_, err := st.Store.Apply(ctx, backend.Entry{Key: recordKey(r.expr), Deleted: true, Timestamp: after(r.ts)})
		errs = append(errs, err)
	}
	n, err := st.Store.Collect(ctx, cutoff)
	errs = append(errs, err)
	s.stats.collected.Add(uint64(n))
	if n > 0 {
		s.log.Debug("store: tombstones collected", "storage", st.Name, "count", n)
	}
	return n, errors.Join(errs...)
}
