package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// Bounds of one event stream (GET /<key expression> with Accept:
// text/event-stream).
const (
	// DefaultStreamHeartbeat is how often, by default, a stream with
	// nothing to say sends a comment line, so that proxies and load
	// balancers keep it open (Options.StreamHeartbeat).
	DefaultStreamHeartbeat = 15 * time.Second
	// StreamMaxEvents and StreamMaxBytes bound the events waiting for one
	// client. A client that falls that far behind is sent an "overflow"
	// event and its stream is ended: it reconnects and queries again
	// rather than cost the server memory.
	StreamMaxEvents = 1024
	StreamMaxBytes  = 4 << 20
	// StreamMaxValue is the largest value an event carries: the event of
	// a larger one has a null value, its size and "truncated": true, and
	// the client GETs the key if it wants it. Without it one large put
	// would overflow every stream.
	StreamMaxValue = 256 << 10
	// streamWriteTimeout bounds one write to a stream's connection: a
	// client that does not read for that long is dropped.
	streamWriteTimeout = 30 * time.Second
)

// EventChange is what a change event's data holds: a Sample with the
// storage that applied it. The event's name is its kind, "PUT" or
// "DELETE", as in Zenoh's REST plugin.
type EventChange struct {
	Sample
	// Storage names the storage that applied the change.
	Storage string `json:"storage"`
	// Size is the value's size in bytes, given when Truncated.
	Size int `json:"size,omitempty"`
	// Truncated says the value was over StreamMaxValue, or was a streamed
	// put, and is left out (Value is null).
	Truncated bool `json:"truncated,omitempty"`
	// BLAKE3 is the value's BLAKE3-256 hash in hex, given when a streamed
	// put's value is left out.
	BLAKE3 string `json:"blake3,omitempty"`
}

// wantsEvents says whether the request asks for an event stream: its
// Accept header names text/event-stream (what a browser's EventSource
// sends).
func wantsEvents(r *http.Request) bool { return accepts(r, "text/event-stream") }

// accepts says whether one of the media ranges of r's Accept header is
// exactly typ (wildcards do not count: every route answers */*).
func accepts(r *http.Request, typ string) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && mt == typ {
				return true
			}
		}
	}
	return false
}

// streamQueue is what one stream's subscriber hands its writer: rendered
// events, bounded by StreamMaxEvents and StreamMaxBytes. The subscriber
// (on the goroutine that applied a write) appends; the request's
// goroutine takes everything and writes it.
type streamQueue struct {
	mu       sync.Mutex // guards the fields below
	events   [][]byte
	size     int
	overflow bool // set instead of appending past the bounds
	dropped  int  // events refused once overflow was set

	wake chan struct{} // capacity 1: something was queued
}

func (q *streamQueue) push(ev []byte) {
	q.mu.Lock()
	switch {
	case q.overflow:
		q.dropped++
	case len(q.events) >= StreamMaxEvents || q.size+len(ev) > StreamMaxBytes:
		q.overflow = true
		q.dropped++
	default:
		q.events = append(q.events, ev)
		q.size += len(ev)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns what is queued and empties the queue.
func (q *streamQueue) take() (events [][]byte, overflow bool, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	events, q.events, q.size = q.events, nil, 0
	return events, q.overflow, q.dropped
}

// lastEvent keeps the last change rendered, so that the streams a change
// matches share one rendering: the server calls their subscribers one
// after the other with the same change, on the writer's goroutine.
type lastEvent struct {
	mu      sync.Mutex // guards the fields below
	storage string
	key     string
	stamp   hlc.Timestamp
	deleted bool
	ev      []byte // never modified once rendered: shared by the queues
}

func (l *lastEvent) event(c server.Change) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ev != nil && l.storage == c.Storage && l.key == c.Key && l.stamp == c.Timestamp && l.deleted == c.Deleted {
		return l.ev
	}
	l.storage, l.key, l.stamp, l.deleted = c.Storage, c.Key, c.Timestamp, c.Deleted
	l.ev = renderEvent(c)
	return l.ev
}

// renderEvent renders a change as one server-sent event.
func renderEvent(c server.Change) []byte {
	kind := "PUT"
	ev := EventChange{Sample: Sample{Key: c.Key, Timestamp: c.Timestamp.String()}, Storage: c.Storage}
	if c.Deleted {
		kind = "DELETE"
		ev.Value = json.RawMessage("null")
	} else if c.Omitted || len(c.Value) > StreamMaxValue {
		ev.Value, ev.Encoding, ev.Size, ev.Truncated = json.RawMessage("null"), c.Encoding, len(c.Value), true
		if c.Omitted {
			ev.Size, ev.BLAKE3 = int(c.Size), proto.HashHex(c.Hash)
		}
	} else {
		ev.Value, ev.Encoding = RenderValue(c.Value, c.Encoding), c.Encoding
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	var b bytes.Buffer
	b.Grow(len(data) + 32)
	b.WriteString("event: ")
	b.WriteString(kind)
	b.WriteString("\ndata: ")
	b.Write(data) // JSON without newlines: one data line
	b.WriteString("\n\n")
	return b.Bytes()
}

// events streams the changes of the keys matching ke as server-sent
// events until the client goes away, the stream overflows, or the handler
// is closed (CloseStreams, which Serve calls on shutdown). It runs on the
// request's goroutine and starts none.
func (h *Handler) events(w http.ResponseWriter, r *http.Request, ke string) {
	expr, err := keyexpr.New(ke)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	rc := http.NewResponseController(w)
	q := &streamQueue{wake: make(chan struct{}, 1)}
	pattern := expr.String()
	cancel := h.srv.Subscribe(func(c server.Change) {
		if keyexpr.Intersects(pattern, c.Key) {
			q.push(h.rendered.event(c))
		}
	})
	defer cancel()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		// The server's WriteTimeout would end every stream after two
		// minutes: each write gets its own deadline instead.
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte(fmt.Sprintf("retry: 2000\n: watching %s\n\n", pattern))) {
		return
	}
	beat := time.NewTicker(h.beat)
	defer beat.Stop()
	closed := h.streamsClosed()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-closed:
			write([]byte("event: close\ndata: {\"reason\":\"the server is shutting down\"}\n\n"))
			return
		case <-beat.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		case <-q.wake:
			events, overflow, dropped := q.take()
			if len(events) > 0 && !write(bytes.Join(events, nil)) {
				return
			}
			if overflow {
				h.log.Info("http: event stream ended: the client fell behind", "remote", r.RemoteAddr, "key_expr", pattern, "dropped", dropped)
				write(fmt.Appendf(nil, "event: overflow\ndata: {\"error\":\"the client fell behind: %d events dropped; reconnect and query again\",\"dropped\":%d}\n\n", dropped, dropped))
				return
			}
		}
	}
}

// streamsClosed returns the channel CloseStreams closes.
func (h *Handler) streamsClosed() <-chan struct{} {
	h.closeMu.Lock()
	defer h.closeMu.Unlock()
	if h.closed == nil {
		h.closed = make(chan struct{})
	}
	return h.closed
}

// CloseStreams ends every event stream the handler serves, now and from
// now on (each is sent a "close" event); the other routes keep working.
// Serve calls it when it shuts down, since http.Server.Shutdown would
// otherwise wait for streams that never end.
func (h *Handler) CloseStreams() {
	h.streamsClosed()
	h.closeMu.Lock()
	defer h.closeMu.Unlock()
	select {
	case <-h.closed:
	default:
		close(h.closed)
	}
}
