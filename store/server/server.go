package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

// Defaults of Options.
const (
	// DefaultWorkers is the default number of request workers.
	DefaultWorkers = 16
	// DefaultMaxWorkers is the default bound of request workers started
	// while every worker is busy (see Options.MaxWorkers).
	DefaultMaxWorkers = 256
	// DefaultQueryWorkers is the default number of query workers.
	DefaultQueryWorkers = 4
	// DefaultQueryQueue is the default bound of waiting wildcard requests.
	DefaultQueryQueue = 256
	// DefaultMaxValueSize is the default largest value, 16 MiB.
	DefaultMaxValueSize = 16 << 20
	// DefaultRequestTimeout is the default bound of one request's handling.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultGCPeriod is how often tombstones are collected by default.
	DefaultGCPeriod = 30 * time.Second
	// DefaultTombstoneLifespan is how long tombstones are kept by default.
	DefaultTombstoneLifespan = 24 * time.Hour
	// DefaultHealthProbe is how often unhealthy and idle backends are
	// probed by default.
	DefaultHealthProbe = 5 * time.Second
	// DefaultStallTimeout is how long by default an answer may wait for
	// room in its client's queue before the client is disconnected as not
	// reading.
	DefaultStallTimeout = time.Second
)

// Options configure a Server. Socket and Storages are required; every other
// zero field means its documented default.
type Options struct {
	// Socket receives requests and sends their answers. Required. The
	// Server closes it.
	Socket *patterns.Server
	// Feed, if set, publishes every applied put and delete as a SAMPLE,
	// group = the storage's name. The Server closes it.
	Feed *patterns.Radio
	// Ingest, if set, accepts bulk PUT messages from SCATTER sockets,
	// without answers. The Server closes it.
	Ingest *patterns.Gather
	// Storages are served in this order. Names must be unique.
	Storages []Storage
	// Volumes are closed by Close, after the storages' stores. They have no
	// names, so runtime management (AddStorage) cannot open storages in
	// them; Config.Open gives the server named volumes instead.
	Volumes []backend.Volume

	// Clock stamps requests that carry no timestamp and merges those that
	// do. nil: a new clock with a random ID and MaxDrift.
	Clock *hlc.Clock
	// MaxDrift is how far in the server's future a request's timestamp may
	// be (refused beyond with proto.StatusTimestampDrift); used only when
	// Clock is nil. 0 means hlc.DefaultMaxDrift (500ms); negative turns
	// the check off.
	MaxDrift time.Duration

	// Workers is the number of goroutines receiving and handling requests
	// (default DefaultWorkers). Puts, deletes of one key and queries of one
	// key are handled by them directly.
	Workers int
	// MaxWorkers bounds the request workers (default DefaultMaxWorkers;
	// never fewer than Workers). A worker that takes a put or delete of at
	// most 64 KiB while no other is left to receive the next request starts
	// one more worker, up to MaxWorkers, and the extra ones stop once more
	// than Workers are idle and none was started for a second:
	// requests that wait (a put on an engine volume waits for the log sync
	// it shares with the puts in flight) then never hold up the next ones,
	// while fast requests keep to about Workers goroutines, which take
	// turns receiving at less cost than many. When every storage is in
	// memory no extra worker is started (nothing waits), and a worker
	// takes the requests queued with the one it received, up to 16, and
	// handles them in order.
	MaxWorkers int
	// QueryWorkers is the number of goroutines running the slow requests,
	// wildcard queries and wildcard deletes (default DefaultQueryWorkers),
	// so that slow requests never hold up writes.
	QueryWorkers int
	// QueryQueue bounds the slow requests waiting for a query worker
	// (default DefaultQueryQueue); beyond it they are refused with
	// proto.StatusUnavailable.
	QueryQueue int
	// MaxValueSize is the largest value a put may carry, in bytes (default
	// DefaultMaxValueSize); larger ones are refused with
	// proto.StatusTooLarge.
	MaxValueSize int
	// MaxStreamSize is the largest value a streamed put may carry, in
	// bytes (default DefaultMaxStreamSize); a PUT_BEGIN declaring more is
	// refused at once with proto.StatusTooLarge naming the limit. Values
	// over MaxValueSize can be stored only in storages whose store is a
	// backend.Streamer. YAML requests.max_stream_size.
	MaxStreamSize int64
	// UploadIdle is how long a partial streamed put is kept without a
	// chunk (its connection dropped: the client may resume it) before it
	// is collected (default DefaultUploadIdle).
	UploadIdle time.Duration
	// MaxUploads bounds the streamed puts in progress, partial ones
	// included (default DefaultMaxUploads); beyond, a PUT_BEGIN is
	// refused with proto.StatusUnavailable.
	MaxUploads int
	// StreamWindow is the credit window granted to a streamed put's
	// client, in chunks (default proto.DefaultWindow, at most
	// proto.MaxWindow).
	StreamWindow int
	// RequestTimeout bounds the handling of one request (default
	// DefaultRequestTimeout); on expiry the request is answered with
	// proto.StatusTimeout.
	RequestTimeout time.Duration
	// StallTimeout bounds how long an answer may wait for room in its
	// client's queue (default DefaultStallTimeout): a client that has not
	// taken an answer within it (effectively StallTimeout to 1.5 ×
	// StallTimeout) is not reading, and is disconnected, which drops what
	// was queued for it and releases every worker waiting on it. An answer
	// also never waits past its request's own deadline (RequestTimeout);
	// the FINAL of a request that ran out of time waits StallTimeout at
	// most. See docs/storage-server.md, "Clients that do not read".
	StallTimeout time.Duration
	// GCPeriod is how often tombstones are collected (default
	// DefaultGCPeriod); a storage may set its own.
	GCPeriod time.Duration
	// TombstoneLifespan is how long tombstones are kept (default
	// DefaultTombstoneLifespan); a storage may set its own.
	TombstoneLifespan time.Duration

	// Endpoints, FeedEndpoints and IngestEndpoints are what the admin space
	// reports (store.Client.Info, and store.Client.Watch, which connects to the feed).
	// Empty: the socket's last endpoint.
	Endpoints, FeedEndpoints, IngestEndpoints []string

	// HealthProbe is how often the server checks, with one cheap read, the
	// backend of every storage that is unhealthy or saw no call for that
	// long (default DefaultHealthProbe); negative turns the probe off. See
	// Server.Health.
	HealthProbe time.Duration

	// VolumeRoot is the directory under which volumes added at run time
	// (AddVolume, the HTTP admin API) must keep their files: an fs volume
	// whose root is elsewhere is refused with ErrForbidden. Empty: no fs
	// volume can be added at run time. Volumes of the configuration file
	// are not concerned. YAML admin.volume_root.
	VolumeRoot string

	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
}

// opened is what Config.Open gives a server beside its Options: the
// volumes it created, by name (runtime management can open more storages
// in them, and remove them), and the configuration of each storage, index
// for index with Options.Storages (Storages reports them). A Server made
// with NewServer has neither: its volumes, if any, are Options.Volumes,
// which have no names.
type opened struct {
	named   []*volume
	configs []*StorageConfig
}

// Stats are counters of what a Server did since it started.
type Stats struct {
	Requests            uint64 // requests answered with a FINAL
	Failed              uint64 // of which with a status other than OK
	Applied             uint64 // entries (values and tombstones) stored
	Published           uint64 // change-feed samples handed to the radio
	FeedDropped         uint64 // samples the radio refused (too large for UDP, closed)
	Ingested            uint64 // bulk PUT messages applied from the GATHER socket
	IngestRejected      uint64 // bulk messages refused (malformed, bad key, too large...)
	TombstonesCollected uint64 // tombstones removed by garbage collection
	AnswersDropped      uint64 // answers not delivered: client gone, not reading, or out of time
	StalledClients      uint64 // clients disconnected for not taking their answers (StallTimeout)
}

type counters struct {
	requests, failed, applied, published, feedDropped, ingested, ingestRejected, collected atomic.Uint64
	answersDropped, stalledClients                                                         atomic.Uint64
}

// Server is a storage server: it answers the storage protocol
// (docs/storage-protocol.md) on a SERVER socket for a set of storages,
// publishes their changes on a RADIO and takes bulk loads from a GATHER.
// Create it with NewServer, run it with Serve, stop it with Close.
//
// # Goroutines
//
// Serve runs Options.Workers request workers, Options.QueryWorkers query
// workers, as many ingest workers if there is an Ingest socket, and one
// garbage collector. Request workers take turns receiving (recvMu): the
// one holding recvMu waits in Recv and stamps the message before letting
// the next one in, so server-given timestamps follow arrival order and a
// client's pipelined writes to one key keep their order. All of them end
// when Serve's context is done or Close is called; Serve returns when they
// have.
type Server struct {
	opts    Options
	sock    *patterns.Server
	feed    *patterns.Radio
	ingest  *patterns.Gather
	anon    []backend.Volume // Options.Volumes: closed by Close, never named
	clock   *hlc.Clock
	log     *slog.Logger
	locks   *keyLocks
	stats   counters
	metrics metrics
	streams *streams    // streamed puts and replies in progress (stream.go)
	subs    subscribers // Subscribe's functions (changes.go)
	peers   peerTable   // the request socket's connections (peers.go)
	monitor <-chan socket.Event

	// cur is the current set of storages and volumes (see view). It is
	// swapped, never changed, under adminMu, which also guards retired.
	cur     atomic.Pointer[view]
	adminMu sync.Mutex
	retired []*view // views swapped out whose requests may not have drained yet

	localSlow chan struct{} // slots for in-process wildcard requests (see Do)

	slow chan request // wildcard queries and deletes, for the query workers

	recvMu sync.Mutex // held by the request worker waiting in Recv
	// workers counts the request workers running, busy those of them
	// handling a request (not receiving nor waiting to): see
	// Options.MaxWorkers.
	workers, busy atomic.Int32
	// spawnedAt is when the last extra request worker was started (Unix
	// ns): extra workers stop only once none was needed for workerLinger.
	spawnedAt atomic.Int64
	ingestMu  sync.Mutex // likewise for ingest workers

	// reqCtx is the parent of every request's context: not cancelled when
	// Serve stops (requests in flight finish and are answered), only when
	// Close gives up waiting for them.
	reqCtx   context.Context
	abortReq context.CancelFunc
	timeouts *deadlines // request contexts, children of reqCtx
	stalls   *deadlines // answers' contexts, children of reqCtx (StallTimeout)

	// stalledIDs are the routing ids of the last clients disconnected for
	// not reading (at most maxStalledIDs, copy-on-write under mu): requests
	// of theirs still queued when they were disconnected are dropped
	// unhandled, since no answer could reach them. Routing ids are not
	// reused until the 32-bit counter wraps.
	stalledIDs atomic.Pointer[[]patterns.RoutingID]

	mu      sync.Mutex // guards the fields below
	serving bool
	closed  bool
	stop    context.CancelFunc // ends Serve
	served  chan struct{}      // closed when Serve has returned
	lost    error              // why the request socket stopped giving requests, if it did
}

// NewServer checks opts, reads the wildcard-delete records each storage
// retained (see Storage), and returns a Server ready to Serve. On error
// nothing is closed: the sockets and stores are still the caller's.
func NewServer(ctx context.Context, opts Options) (*Server, error) {
	return newServer(ctx, opts, opened{})
}

// newServer is NewServer for a server whose volumes and storages Config.Open
// made (see opened).
func newServer(ctx context.Context, opts Options, op opened) (*Server, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if opts.Socket == nil {
		return nil, fmt.Errorf("%w: no request socket", ErrInvalidOptions)
	}
	if len(opts.Storages) == 0 {
		return nil, fmt.Errorf("%w: no storages", ErrInvalidOptions)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.Workers, DefaultWorkers)
	def(&opts.MaxWorkers, DefaultMaxWorkers)
	opts.MaxWorkers = max(opts.MaxWorkers, opts.Workers)
	def(&opts.QueryWorkers, DefaultQueryWorkers)
	def(&opts.QueryQueue, DefaultQueryQueue)
	def(&opts.MaxValueSize, DefaultMaxValueSize)
	if opts.MaxStreamSize <= 0 {
		opts.MaxStreamSize = DefaultMaxStreamSize
	}
	defDur(&opts.UploadIdle, DefaultUploadIdle)
	def(&opts.MaxUploads, DefaultMaxUploads)
	def(&opts.StreamWindow, proto.DefaultWindow)
	opts.StreamWindow = min(opts.StreamWindow, proto.MaxWindow)
	defDur(&opts.RequestTimeout, DefaultRequestTimeout)
	defDur(&opts.StallTimeout, DefaultStallTimeout)
	defDur(&opts.GCPeriod, DefaultGCPeriod)
	defDur(&opts.TombstoneLifespan, DefaultTombstoneLifespan)
	if opts.HealthProbe == 0 {
		opts.HealthProbe = DefaultHealthProbe
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		var co []hlc.Option
		if opts.MaxDrift != 0 {
			co = append(co, hlc.WithMaxDrift(opts.MaxDrift))
		}
		opts.Clock = hlc.NewClock(hlc.NewID(), co...)
	}

	s := &Server{
		opts:    opts,
		sock:    opts.Socket,
		feed:    opts.Feed,
		ingest:  opts.Ingest,
		anon:    opts.Volumes,
		clock:   opts.Clock,
		log:     opts.Logger,
		locks:   newKeyLocks(),
		streams: newStreams(),
		slow:    make(chan request, opts.QueryQueue),

		localSlow: make(chan struct{}, opts.QueryWorkers+opts.QueryQueue),
		served:    make(chan struct{}),
		monitor:   opts.Socket.Monitor(), // from now on, so that Peers misses no early client
	}
	s.reqCtx, s.abortReq = context.WithCancel(context.WithoutCancel(ctx))
	s.timeouts = newDeadlines(s.reqCtx, opts.RequestTimeout)
	s.stalls = newDeadlines(s.reqCtx, opts.StallTimeout)
	names := map[string]bool{}
	var storages []*storage
	for i, cfg := range opts.Storages {
		if err := checkStorage(&cfg); err != nil {
			s.abortReq()
			return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		if names[cfg.Name] {
			s.abortReq()
			return nil, fmt.Errorf("%w: two storages named %q", ErrInvalidOptions, cfg.Name)
		}
		names[cfg.Name] = true
		var sc *StorageConfig
		if i < len(op.configs) {
			sc = op.configs[i]
		}
		st, err := s.newStorage(ctx, cfg, sc, kindOf(op.named, cfg.Volume))
		if err != nil {
			s.abortReq()
			return nil, err
		}
		storages = append(storages, st)
	}
	s.cur.Store(newView(storages, op.named, s.makeInfo()))
	return s, nil
}

// Clock returns the clock the server stamps writes with.
func (s *Server) Clock() *hlc.Clock { return s.clock }

// Info returns what the admin space reports about the server (see
// store.AdminKey).
func (s *Server) Info() store.ServerInfo { return cloneInfo(s.cur.Load().info) }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Requests: c.requests.Load(), Failed: c.failed.Load(), Applied: c.applied.Load(),
		Published: c.published.Load(), FeedDropped: c.feedDropped.Load(),
		Ingested: c.ingested.Load(), IngestRejected: c.ingestRejected.Load(),
		TombstonesCollected: c.collected.Load(),
		AnswersDropped:      c.answersDropped.Load(), StalledClients: c.stalledClients.Load(),
	}
}

// Serve answers requests until ctx is done or Close is called, then
// returns nil once every request in flight has been answered and every
// goroutine it started has ended. If the request socket stops working
// under it (closed, or its socket.Ctx shut down), Serve stops the same way
// and returns that error. A Server serves once: Serve returns ErrClosed
// at once if the server was closed, and an error if Serve was called
// before.
func (s *Server) Serve(ctx context.Context) error {
	if ctx == nil {
		return errNilContext
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.serving:
		s.mu.Unlock()
		return errors.New("store: Serve called twice (a Server serves once)")
	}
	s.serving = true
	ctx, stop := context.WithCancel(ctx)
	s.stop = stop
	s.mu.Unlock()
	defer close(s.served)
	defer stop()

	var wg sync.WaitGroup
	// spawn starts an extra request worker; the worker calling it is in wg,
	// so wg's count is above zero and the Add is safe beside wg.Wait.
	var spawn func()
	spawn = func() { wg.Go(func() { s.requestWorker(ctx, stop, spawn, true) }) }
	s.workers.Store(int32(s.opts.Workers))
	for range s.opts.Workers {
		wg.Go(func() { s.requestWorker(ctx, stop, spawn, false) })
	}
	var slowWG sync.WaitGroup
	for range s.opts.QueryWorkers {
		slowWG.Go(func() { s.queryWorker(ctx) })
	}
	if s.ingest != nil {
		for range s.opts.Workers {
			wg.Go(func() { s.ingestWorker(ctx) })
		}
	}
	wg.Go(func() { s.collectLoop(ctx) })
	wg.Go(func() { s.trackPeers(ctx, s.monitor) })
	if s.opts.HealthProbe > 0 {
		wg.Go(func() { s.probeLoop(ctx) })
	}
	info := s.Info()
	s.log.Debug("store: serving", "endpoints", info.Endpoints, "feed", info.Feed,
		"ingest", info.Ingest, "storages", len(info.Storages))

	<-ctx.Done()
	wg.Wait()
	slowWG.Wait()
	s.closeStreams()
	// Nobody feeds the queue any more: refuse what is left in it.
	for {
		select {
		case r := <-s.slow:
			s.answer(s.reqCtx, r.peer, finalFor(r.msg.ID, 0, refuse(proto.StatusUnavailable, "the server is shutting down")))
		default:
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.lost
		}
	}
}

// Close stops Serve (waiting for the requests in flight to be answered
// until ctx is done, then abandoning them), then closes the sockets, the
// storages' stores and the volumes. It is idempotent; only the first call
// does anything.
func (s *Server) Close(ctx context.Context) error {
	if ctx == nil {
		return errNilContext
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	serving, stop := s.serving, s.stop
	s.mu.Unlock()
	if serving {
		stop()
		select {
		case <-s.served:
		case <-ctx.Done():
			s.abortReq()
			<-s.served
		}
	}
	s.abortReq()

	var errs []error
	for _, c := range []interface{ Close() error }{s.ingest, s.sock, s.feed} {
		if c != nil && !isNilSocket(c) {
			if err := c.Close(); err != nil && !errors.Is(err, socket.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	// In-process requests (Do) and runtime management may still be going
	// on: leave an empty view that refuses everything, and let the
	// requests holding the last one finish before closing its stores.
	s.adminMu.Lock()
	last := s.cur.Swap(&view{closing: true, info: s.cur.Load().info, drained: make(chan struct{})})
	s.waitRetired(ctx, last)
	s.adminMu.Unlock()
	for _, st := range last.storages {
		if err := st.Store.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("storage %q: %w", st.Name, err))
		}
	}
	for _, v := range last.volumes {
		if err := v.vol.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("volume %q: %w", v.name, err))
		}
	}
	for _, v := range s.anon {
		if err := v.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.log.Debug("store: closed")
	return errors.Join(errs...)
}

// isNilSocket reports a typed nil pointer inside the interface (an absent
// feed or ingest socket).
func isNilSocket(c interface{ Close() error }) bool {
	switch v := c.(type) {
	case *patterns.Radio:
		return v == nil
	case *patterns.Gather:
		return v == nil
	case *patterns.Server:
		return v == nil
	}
	return false
}

// request is one received request, with the timestamp the receiving worker
// gave it (zero unless it is a PUT or DELETE without its own).
type request struct {
	msg   proto.Message
	peer  patterns.RoutingID
	stamp hlc.Timestamp
	local *localCall // set for a request made with Do: its answers go there, not to the socket
	// in is the message the request was received in (zero for Do's), to
	// which msg.Value points: released once the request is answered
	// (done), so its body goes back to the socket's pools.
	in patterns.Msg
}

// done releases the message r was received in. It is called once r is
// answered, when nothing refers to msg.Value any more: stores copy the
// values they are given (backend.Store.Apply), the change feed encodes its
// own sample, and Subscribe's callbacks may use a Change's value only
// while they run.
func (r *request) done() { r.in.Release() }

// stopped reports whether a receive error means the socket will not give
// anything any more.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil || !errors.Is(err, socket.ErrWouldBlock)
}

// requestWorker receives requests and handles them until ctx is done. If
// the socket fails, it records why and stops Serve. When it takes a
// request while every other worker is busy, it starts one more with spawn
// (up to Options.MaxWorkers); an extra worker (extra set) stops once more
// than Options.Workers workers are idle and none was started for
// workerLinger.
func (s *Server) requestWorker(ctx context.Context, stopServe context.CancelFunc, spawn func(), extra bool) {
	var more []received // requests taken with the first, in memory views (see takeQueued)
	for {
		m, stamp, err := s.receive(ctx, &s.recvMu, s.sock.Recv)
		inMemory := err == nil && s.cur.Load().inMemory
		if inMemory {
			more = s.takeQueued(more[:0])
		}
		if err == errRouted {
			continue
		}
		if err != nil {
			if !stopped(ctx, err) {
				continue
			}
			if ctx.Err() == nil {
				s.mu.Lock()
				if s.lost == nil {
					s.lost = fmt.Errorf("store: the request socket stopped: %w", err)
					s.log.Error("store: the request socket stopped; stopping", "err", err)
				}
				s.mu.Unlock()
				stopServe()
			}
			if extra {
				s.workers.Add(-1)
			}
			return
		}
		// No extra worker for a memory view: its requests never wait.
		if s.busy.Add(1) >= s.workers.Load() && !inMemory && smallWrite(m.Body) && !s.batched(m.Body) && ctx.Err() == nil {
			if s.workers.Add(1) <= int32(s.opts.MaxWorkers) {
				s.spawnedAt.Store(time.Now().UnixNano())
				spawn()
			} else {
				s.workers.Add(-1)
			}
		}
		// A memory view has no batch writer (handleBatch would only look).
		if inMemory || !s.handleBatch(m, stamp) {
			s.handle(m, stamp)
		}
		for i := range more {
			s.handle(more[i].m, more[i].stamp)
			more[i] = received{}
		}
		busy := s.busy.Add(-1)
		if extra && s.workers.Load()-busy > int32(s.opts.Workers) &&
			time.Now().UnixNano()-s.spawnedAt.Load() > int64(workerLinger) {
			s.workers.Add(-1)
			return
		}
	}
}

// workerLinger is how long after the last extra request worker was
// started the extra ones keep running though more than Options.Workers are
// idle. Synced puts come in waves, one per log sync (the puts a sync
// answers become idle workers together, and the next wave needs as many):
// without it, extra workers stopped and were started again at every sync,
// and each new goroutine grew its stack anew (a tenth of a put's CPU
// under 64 callers).
const workerLinger = time.Second

// receive takes the next message with recv, holding mu so that the
// workers receiving from one socket take turns, and stamps it before
// letting the next one in if it is a PUT or DELETE without a timestamp:
// server-given timestamps then follow arrival order, and a client's
// pipelined writes to one key keep their order.
func (s *Server) receive(ctx context.Context, mu *sync.Mutex, recv func(context.Context) (patterns.Msg, error)) (patterns.Msg, hlc.Timestamp, error) {
	mu.Lock()
	defer mu.Unlock()
	m, err := recv(ctx)
	var stamp hlc.Timestamp
	if err == nil && mu == &s.recvMu && s.route(m) {
		return patterns.Msg{}, stamp, errRouted
	}
	if err == nil && needsStamp(m.Body) {
		stamp = s.clock.Now()
	}
	return m, stamp, err
}

// received is a request taken from the socket, with the stamp receive
// gave it.
type received struct {
	m     patterns.Msg
	stamp hlc.Timestamp
}

// takeMax bounds the requests a worker takes at once (see takeQueued).
const takeMax = 16

// takeQueued appends to dst the requests queued on the request socket, up
// to takeMax-1, taking them without waiting and stamping each before the
// next as receive does; it stops at once if another worker is receiving.
// A request worker of a view whose storages are all in memory calls it
// after receiving: their requests about one key never wait, so handling
// what was queued in the one worker, in order, costs less than handing
// each to another worker (a goroutine woken per request), and the
// answers leave together.
func (s *Server) takeQueued(dst []received) []received {
	if !s.recvMu.TryLock() {
		return dst
	}
	defer s.recvMu.Unlock()
	for len(dst) < takeMax-1 {
		m, err := s.sock.TryRecv()
		if err != nil {
			break
		}
		if r, ok := s.accept(m); ok {
			dst = append(dst, r)
		}
	}
	return dst
}

// accept finishes taking m from the request socket without waiting
// (takeQueued, handleBatch), recvMu held: a stream's chunk or credit goes
// to its stream (false), a write without a timestamp is stamped, as
// receive does, before the next message is taken.
func (s *Server) accept(m patterns.Msg) (received, bool) {
	if s.route(m) {
		return received{}, false
	}
	var stamp hlc.Timestamp
	if needsStamp(m.Body) {
		stamp = s.clock.Now()
	}
	return received{m: m, stamp: stamp}, true
}

// errRouted: receive handed a stream's chunk or credit to its stream.
var errRouted = errors.New("store: routed to its stream")

// smallWriteLen bounds the requests for which an extra worker is started
// (see Options.MaxWorkers), so extra workers hold at most MaxWorkers ×
// smallWriteLen bytes of requests: the memory bound of Workers × the
// largest value stays the one that matters.
const smallWriteLen = 64 << 10

// smallWrite reports whether a raw message is a PUT or DELETE of at most
// smallWriteLen bytes: the requests that may wait in a store for a sync
// shared with others, and are worth an extra worker. (Queries are not: a
// worker held up answering one waits for its client, and a new worker
// would only read more.)
func smallWrite(b []byte) bool {
	return len(b) >= proto.HeaderLen && len(b) <= smallWriteLen &&
		(proto.Kind(b[1]) == proto.KindPut || proto.Kind(b[1]) == proto.KindDelete)
}

// needsStamp reports whether a raw message is a PUT or DELETE of this
// protocol version without a timestamp, which the server stamps on arrival.
func needsStamp(b []byte) bool {
	return len(b) >= proto.HeaderLen && b[0] == proto.Version &&
		(proto.Kind(b[1]) == proto.KindPut || proto.Kind(b[1]) == proto.KindDelete) && b[2]&0x01 == 0
}

// queryWorker runs slow requests until ctx is done.
func (s *Server) queryWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.slow:
			s.handleSlow(r)
			r.done()
		}
	}
}

// answer sends an encoded answer to a client. A client that has gone, or
// a socket closing, loses its answer; nothing else can be done about it.
//
// No client holds a worker: the answer waits for room in the client's
// queue until ctx's deadline (the request's) or the stall bound
// (StallTimeout), whichever comes first, and never without a deadline. A
// client that took nothing within the stall bound is not reading: it is
// disconnected (see stalled). A request that merely ran out of time loses
// the answer; its FINAL then gets the stall bound.
//
// The value is not copied: it goes out after the encoded head as the tail
// of one message. Backends hand out values nobody modifies (they copy on
// put), so the socket may keep it until it is written.
func (s *Server) answer(ctx context.Context, peer patterns.RoutingID, m proto.Message) error {
	head, err := m.AppendHead(make([]byte, 0, m.Size()-len(m.Value)))
	if err != nil {
		s.log.Error("store: cannot encode an answer", "kind", m.Kind, "err", err)
		return err
	}
	ctx, stall := s.answerContext(ctx)
	if err := s.sock.RouteConcat(ctx, head, m.Value, peer); err != nil {
		s.stats.answersDropped.Add(1)
		if stall && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, socket.ErrWouldBlock)) {
			s.stalled(peer)
		} else {
			s.log.Debug("store: answer not delivered", "peer", peer, "id", m.ID, "err", err)
		}
		return err
	}
	s.metrics.bytesOut.Add(uint64(len(head) + len(m.Value)))
	return nil
}

// answerContext returns the context an answer is routed under: ctx if its
// deadline comes before the stall bound's, else a context that ends
// StallTimeout to 1.5 × StallTimeout from now (shared per window, as the
// request contexts are, so answering costs no timer). stall reports the
// latter: its expiry means the client took nothing for that long.
func (s *Server) answerContext(ctx context.Context) (_ context.Context, stall bool) {
	sc := s.stalls.get()
	if ctx.Err() != nil {
		return sc, true
	}
	if d, ok := ctx.Deadline(); ok {
		if sd, _ := sc.Deadline(); d.Before(sd) {
			return ctx, false
		}
	}
	return sc, true
}

// maxStalledIDs bounds Server.stalledIDs.
const maxStalledIDs = 64

// fromStalled reports whether a request comes from a client disconnected
// for not reading (see Server.stalledIDs).
func (s *Server) fromStalled(id patterns.RoutingID) bool {
	ids := s.stalledIDs.Load()
	return ids != nil && slices.Contains(*ids, id)
}

// stalled disconnects a client that took no answer within the stall bound:
// its queued answers are freed at once and every worker waiting to answer
// it is released (their routes fail). Only the first worker to find it
// stalled disconnects it, so it is counted and logged once.
func (s *Server) stalled(peer patterns.RoutingID) {
	if err := s.sock.DisconnectPeer(peer); err != nil {
		return // gone already: disconnected by another worker, or left
	}
	s.stats.stalledClients.Add(1)
	s.mu.Lock()
	var ids []patterns.RoutingID
	if old := s.stalledIDs.Load(); old != nil {
		ids = *old
	}
	ids = append(ids[max(0, len(ids)-maxStalledIDs+1):len(ids):len(ids)], peer)
	s.stalledIDs.Store(&ids)
	s.mu.Unlock()
	s.log.Warn("store: disconnected a client that does not read its answers",
		"peer", peer, "stall_timeout", s.opts.StallTimeout)
}

// send delivers one answer of a request: to its caller for a request made
// with Do, over the socket otherwise.
func (s *Server) send(ctx context.Context, r *request, m proto.Message) error {
	if r.local != nil {
		return r.local.reply(m)
	}
	return s.answer(ctx, r.peer, m)
}

// finish sends the FINAL of a request (or, for a request made with Do,
// hands its outcome to the caller) and counts it.
func (s *Server) finish(ctx context.Context, r *request, count uint32, err error) {
	s.stats.requests.Add(1)
	final := finalFor(r.msg.ID, count, err)
	s.metrics.count(r.msg.Kind, final.Status)
	if err != nil {
		s.stats.failed.Add(1)
		s.log.Debug("store: request refused", "id", r.msg.ID, "err", err)
	}
	if r.local != nil {
		r.local.done(final)
		return
	}
	// The answer goes out even if the request's own deadline passed,
	// within the stall bound (see answer).
	s.answer(ctx, r.peer, final)
}

// requestContext returns the context a request is handled under: it ends
// RequestTimeout to 1.5·RequestTimeout from now (see deadlines), or when
// Close abandons the requests in flight.
func (s *Server) requestContext() context.Context { return s.timeouts.get() }

// contextOf returns the context r is handled under: requestContext's, or
// for a request made with Do the one Do made from its caller's.
func (s *Server) contextOf(r *request) context.Context {
	if r.local != nil {
		return r.local.ctx
	}
	return s.requestContext()
}
