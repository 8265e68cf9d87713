package server

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/internal/prom"
)

// Health. Every storage's store is wrapped in an observedStore, which
// counts its calls by operation and outcome, times them, and keeps the
// storage's health: a storage is unhealthy from the moment a call to its
// backend fails because of the medium (an S3 endpoint down, a disk
// error, a call that ran out of time) until a call succeeds again.
// Refusals of bad input, calls cancelled by their caller and calls on a
// closed store say nothing about the medium and leave the health as it
// was. So that a storage recovers without traffic, and a dead backend is
// noticed before a client trips on it, the server probes every storage
// that is unhealthy or saw no call for Options.HealthProbe with one read
// of a key no user can write (probeLoop).

// Backend operations and call outcomes, as the metrics name them.
const (
	opApply = iota
	opGet
	opScan
	opCollect
	opCount
)

var opNames = [opCount]string{"apply", "get", "scan", "collect"}

const (
	outcomeOK       = iota
	outcomeError    // the medium failed: counts against health
	outcomeRefused  // bad input, read-only: the caller's fault
	outcomeCanceled // the caller gave up
	outcomeClosed   // the store is closed (being removed)
	outcomeCount
)

var outcomeNames = [outcomeCount]string{"ok", "error", "refused", "canceled", "closed"}

// probeKey is what the probe reads: in the server's own namespace ('#'),
// so it is never a user's key, and absent, so reading it is cheap.
const probeKey = "#probe"

// health is one storage's backend state. Written by every call to its
// store, read by Health, Storages and the metrics.
type health struct {
	failures atomic.Uint64 // consecutive failed calls; 0 = healthy
	lastErr  atomic.Pointer[failure]
	lastCall atomic.Int64 // Unix ns of the last call's end, updated at most every idleGrain
	calls    [opCount][outcomeCount]atomic.Uint64
	latency  [opCount]prom.Histogram
}

type failure struct {
	text string
	at   time.Time
}

// idleGrain is how stale lastCall may be: it saves a write to a shared
// cache line on every call.
const idleGrain = int64(100 * time.Millisecond)

func newHealth() *health { return &health{} }

// StorageHealth is the state of a storage's backend.
type StorageHealth struct {
	// Healthy is false from a failed call to the backend until a call
	// succeeds again.
	Healthy bool `json:"healthy"`
	// Failures counts the calls that failed in a row (0 when healthy).
	Failures uint64 `json:"consecutive_failures"`
	// LastError is the text of the most recent failure, if any, even if
	// the storage has recovered since.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when it happened.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

func (h *health) state() StorageHealth {
	n := h.failures.Load()
	out := StorageHealth{Healthy: n == 0, Failures: n}
	if f := h.lastErr.Load(); f != nil {
		out.LastError, out.LastErrorAt = f.text, f.at
	}
	return out
}

// record counts one call that started at start and ended with err.
// fromFn is the error the caller's Scan callback returned, if any: Scan
// hands it back, and it is not the backend's.
func (h *health) record(op int, start time.Time, err, fromFn error) {
	// One monotonic clock read: time.Now would read the wall clock too.
	d := time.Since(start)
	now := start.Add(d)
	h.latency[op].Observe(d)
	out := classify(err, fromFn)
	h.calls[op][out].Add(1)
	switch out {
	case outcomeOK:
		if h.failures.Load() != 0 {
			h.failures.Store(0)
		}
	case outcomeError:
		h.failures.Add(1)
		h.lastErr.Store(&failure{text: err.Error(), at: now})
	}
	if ns := now.UnixNano(); ns-h.lastCall.Load() > idleGrain {
		h.lastCall.Store(ns)
	}
}

func classify(err, fromFn error) int {
	switch {
	case err == nil, fromFn != nil && errors.Is(err, fromFn):
		return outcomeOK
	case errors.Is(err, backend.ErrBackend), errors.Is(err, context.DeadlineExceeded):
		return outcomeError
	case errors.Is(err, context.Canceled):
		return outcomeCanceled
	case errors.Is(err, backend.ErrClosed):
		return outcomeClosed
	case errors.Is(err, backend.ErrInvalidKey), errors.Is(err, backend.ErrInvalidEntry), errors.Is(err, backend.ErrReadOnly):
		return outcomeRefused
	}
	return outcomeError
}

// observedStore is a backend.Store whose calls are counted, timed and
// judged for the storage's health.
type observedStore struct {
	backend.Store
	h *health
}

// observe returns s observed for h: an observedStore, which is also a
// backend.Streamer when s is one.
func observe(s backend.Store, h *health) backend.Store {
	o := &observedStore{Store: s, h: h}
	if x, ok := s.(backend.Streamer); ok {
		return &observedStreamer{observedStore: o, x: x}
	}
	return o
}

// observedStreamer is an observedStore of a backend.Streamer. Only
// failures of the medium (backend.ErrBackend) count against the
// storage's health: a stream refused for its content or abandoned by its
// client says nothing about the backend.
type observedStreamer struct {
	*observedStore
	x backend.Streamer
}

func mediumErr(err error) error {
	if errors.Is(err, backend.ErrBackend) {
		return err
	}
	return nil
}

func (o *observedStreamer) PutStream(ctx context.Context, e backend.StreamEntry, r io.Reader) (bool, error) {
	start := time.Now()
	ok, err := o.x.PutStream(ctx, e, r)
	o.h.record(opApply, start, mediumErr(err), nil)
	return ok, err
}

func (o *observedStreamer) OpenStream(ctx context.Context, key string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	start := time.Now()
	e, rc, ok, err := o.x.OpenStream(ctx, key, off)
	o.h.record(opGet, start, mediumErr(err), nil)
	return e, rc, ok, err
}

func (o *observedStore) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	start := time.Now()
	ok, err := o.Store.Apply(ctx, e)
	o.h.record(opApply, start, err, nil)
	return ok, err
}

func (o *observedStore) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	start := time.Now()
	e, ok, err := o.Store.Get(ctx, key)
	o.h.record(opGet, start, err, nil)
	return e, ok, err
}

func (o *observedStore) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	start := time.Now()
	var fromFn error
	err := o.Store.Scan(ctx, prefix, mode, func(e backend.Entry) error {
		err := fn(e)
		if err != nil {
			fromFn = err
		}
		return err
	})
	o.h.record(opScan, start, err, fromFn)
	return err
}

func (o *observedStore) Collect(ctx context.Context, olderThan time.Time) (int, error) {
	start := time.Now()
	n, err := o.Store.Collect(ctx, olderThan)
	o.h.record(opCollect, start, err, nil)
	return n, err
}

// HealthReport is the health of a server's storages (Server.Health).
type HealthReport struct {
	// Healthy is true when every storage is.
	Healthy bool `json:"healthy"`
	// Unhealthy names the storages that are not, sorted as served.
	Unhealthy []string `json:"unhealthy,omitempty"`
	// Storages is each storage's state, by name.
	Storages map[string]StorageHealth `json:"storages"`
}

// Health reports the state of every storage's backend. A storage becomes
// unhealthy when a call to its backend fails (the medium, not the input:
// an S3 endpoint that does not answer, a disk error), and healthy again
// when a call succeeds, a request's or the server's own probe's (see
// Options.HealthProbe).
func (s *Server) Health() HealthReport {
	v := s.cur.Load()
	r := HealthReport{Healthy: true, Storages: make(map[string]StorageHealth, len(v.storages))}
	for _, st := range v.storages {
		h := st.run.health.state()
		r.Storages[st.Name] = h
		if !h.Healthy {
			r.Healthy = false
			r.Unhealthy = append(r.Unhealthy, st.Name)
		}
	}
	return r
}

// probeLoop probes, every Options.HealthProbe, the storages that are
// unhealthy or idle, until ctx is done. It runs on its own goroutine,
// started and waited for by Serve.
func (s *Server) probeLoop(ctx context.Context) {
	every := s.opts.HealthProbe
	ticks(ctx, every, func(now time.Time) time.Duration {
		s.probe(ctx, now, every)
		return every
	})
}

// probe reads probeKey from each storage that needs it, one at a time,
// each bounded by the probe period.
func (s *Server) probe(ctx context.Context, now time.Time, every time.Duration) {
	v := s.acquire()
	defer v.release()
	for _, st := range v.storages {
		h := st.run.health
		if h.failures.Load() == 0 && now.UnixNano()-h.lastCall.Load() < int64(every) {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, min(every, s.opts.RequestTimeout))
		_, _, err := st.Store.Get(pctx, probeKey)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Debug("store: health probe failed", "storage", st.Name, "err", err)
		}
	}
}
