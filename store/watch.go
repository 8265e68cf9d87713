package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// Change is one applied put or delete from a server's change feed.
type Change struct {
	// Key is the key written, or for a delete possibly a key expression.
	Key string
	// Value is the put's value; empty for a delete.
	Value []byte
	// Encoding is the put's encoding; empty for a delete.
	Encoding string
	// Timestamp is the write's.
	Timestamp hlc.Timestamp
	// Deleted marks a delete.
	Deleted bool
	// Omitted says the put was streamed (its value is over one message)
	// and the feed left the value out: Value is nil, Size and Hash
	// describe it, and Get or GetReader of Key fetches it.
	Omitted bool
	// Size is the value's size in bytes (for every put).
	Size int64
	// Hash is the value's BLAKE3-256 hash when Omitted (zero otherwise).
	Hash [32]byte
	// Storage is the storage that applied it (the feed group).
	Storage string
	// Seq is the storage's sample number on its server.
	Seq uint64
	// Missed counts the samples of this storage, from this server, that
	// were lost just before this one (the radio drops samples for a slow
	// watcher at its high-water mark). After a loss, query to catch up.
	Missed uint64
}

// Watcher receives the changes of the keys a key expression matches, from
// a DISH socket joined to the feed groups of the storages it intersects.
// Filtering by key expression happens here, on the client side. Changes
// published before the watcher's subscription reached a server are not
// seen. A Watcher is safe for concurrent use, though changes are usually
// read by one goroutine.
type Watcher struct {
	dish *patterns.Dish
	ke   string

	mu   sync.Mutex
	last map[feedSource]uint64 // last sequence number seen per server connection and storage
}

// feedSource is one storage's feed from one server connection: sequence
// numbers run per storage and per server, and restart when the server does
// (which comes on a new connection).
type feedSource struct {
	peer  *socket.Peer
	group string
}

// Watch subscribes to the changes of every key keyexpr matches. It asks
// the server which storages intersect keyexpr and where its change feed
// is (unless ClientOptions.Feed names the endpoints), connects a DISH and
// returns once the feed connection's handshake is done, or fails when ctx
// ends first. Close the Watcher when done.
func (c *Client) Watch(ctx context.Context, keyExpr string) (*Watcher, error) {
	if err := keyexpr.Validate(keyExpr); err != nil {
		return nil, err
	}
	ctx, cancel, err := c.withTimeout(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	infos, err := c.infos(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: watch: asking the server for its feed: %w", err)
	}
	feed := c.opts.Feed
	var groups []string
	for _, si := range infos {
		if c.opts.Feed == nil {
			via := c.endpoints
			if si.endpoint != "" {
				via = []string{si.endpoint}
			}
			for _, ep := range si.info.Feed {
				if ep = reachable(ep, via); !slices.Contains(feed, ep) {
					feed = append(feed, ep)
				}
			}
		}
		for _, st := range si.info.Storages {
			if keyexpr.Intersects(st.KeyExpr, keyExpr) && !slices.Contains(groups, st.Name) {
				groups = append(groups, st.Name)
			}
		}
	}
	if len(feed) == 0 {
		return nil, fmt.Errorf("store: watch: the server has no change feed (configure a radio)")
	}
	if len(groups) == 0 {
		return nil, refuse(proto.StatusNoStorage, "no storage intersects %q", keyExpr)
	}
	so := c.opts.Socket
	if c.opts.FeedSocket != nil {
		so = *c.opts.FeedSocket
	}
	dish, err := patterns.NewDish(c.zctx, so)
	if err != nil {
		return nil, fmt.Errorf("store: watch: %w", err)
	}
	events := dish.Monitor()
	for _, g := range groups {
		if err := dish.Join(g); err != nil {
			dish.Close()
			return nil, fmt.Errorf("store: watch: join %q: %w", g, err)
		}
	}
	for _, ep := range feed {
		if err := dish.Connect(ep); err != nil {
			dish.Close()
			return nil, fmt.Errorf("store: watch: connect %s: %w", ep, err)
		}
	}
	failed := map[string]error{} // feed endpoints whose last attempt failed
	for {
		select {
		case ev := <-events:
			switch ev.Type {
			case socket.EventHandshakeSucceeded:
				return &Watcher{dish: dish, ke: keyExpr, last: make(map[feedSource]uint64)}, nil
			case socket.EventConnectFailed, socket.EventHandshakeFailed:
				failed[ev.Endpoint] = ev.Err
				if len(failed) == len(feed) && !c.opts.WaitForServer {
					dish.Close()
					var errs []error
					for ep, err := range failed {
						errs = append(errs, &ConnError{Endpoint: ep, Err: err})
					}
					return nil, fmt.Errorf("store: watch: change feed: %w", errors.Join(errs...))
				}
			}
		case <-ctx.Done():
			dish.Close()
			return nil, fmt.Errorf("store: watch: change feed %v not reachable: %w", feed, ctx.Err())
		}
	}
}

// serverInfo is a server's description and the endpoint it was asked on
// ("" if unknown).
type serverInfo struct {
	info     ServerInfo
	endpoint string
}

// infos asks every server whose connection is up for its description, so
// that Watch follows the change feeds of all of them (a write reaches the
// feed of the server that took it). With none up, it asks as Info does:
// waiting for one, or failing with why none can be reached.
func (c *Client) infos(ctx context.Context) ([]serverInfo, error) {
	up := c.settled(ctx, settleWait)
	var out []serverInfo
	var firstErr error
	for _, l := range up {
		info, err := c.info(ctx, l)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		out = append(out, serverInfo{info, l.endpoint})
	}
	if len(out) > 0 {
		return out, nil
	}
	if firstErr != nil && ctx.Err() != nil {
		return nil, firstErr
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	return []serverInfo{{info, ""}}, nil
}

// settleWait bounds how long Watch waits for every connection's first
// attempt to end, so that it asks every server that is there.
const settleWait = 2 * time.Second

// settled waits, at most wait and within ctx, until every link is up or
// has failed an attempt, and returns those that are up.
func (c *Client) settled(ctx context.Context, wait time.Duration) []*link {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		c.mu.Lock()
		var up []*link
		pending := false
		for _, l := range c.links {
			switch {
			case l.dead:
			case l.up > 0:
				up = append(up, l)
			case !l.tried:
				pending = true
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if !pending {
			return up
		}
		select {
		case <-changed:
		case <-timer.C:
			return up
		case <-ctx.Done():
			return up
		}
	}
}

// reachable turns a bound feed endpoint with a wildcard host
// ("tcp://0.0.0.0:7448") into one a client can connect to, using the host
// of the endpoint the client reaches the server on.
func reachable(ep string, via []string) string {
	rest, ok := strings.CutPrefix(ep, "tcp://")
	if !ok {
		return ep
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil || (host != "0.0.0.0" && host != "::" && host != "*" && host != "") {
		return ep
	}
	for _, v := range via {
		if vr, ok := strings.CutPrefix(v, "tcp://"); ok {
			if vh, _, err := net.SplitHostPort(vr); err == nil && vh != "*" {
				return "tcp://" + net.JoinHostPort(vh, port)
			}
		}
	}
	return "tcp://" + net.JoinHostPort("127.0.0.1", port)
}

// Next returns the next change of a key the watcher's key expression
// matches, waiting for it within ctx. It fails with ErrClosed once the
// watcher is closed.
func (w *Watcher) Next(ctx context.Context) (Change, error) {
	if ctx == nil {
		return Change{}, errNilContext
	}
	for {
		m, err := w.dish.Recv(ctx)
		if err != nil {
			if errors.Is(err, socket.ErrClosed) {
				return Change{}, ErrClosed
			}
			return Change{}, err
		}
		msg, err := proto.Decode(m.Body)
		if err != nil || msg.Kind != proto.KindSample {
			continue // not a sample of this protocol: not ours to report
		}
		src := feedSource{peer: m.Peer, group: m.Group}
		w.mu.Lock()
		last, seen := w.last[src]
		w.last[src] = msg.ID
		w.mu.Unlock()
		var missed uint64
		if seen && msg.ID > last+1 {
			missed = msg.ID - last - 1
		}
		if !keyexpr.Intersects(w.ke, msg.Key) {
			continue
		}
		c := Change{Key: msg.Key, Encoding: msg.Encoding, Timestamp: msg.Timestamp, Deleted: msg.Delete,
			Storage: m.Group, Seq: msg.ID, Missed: missed}
		if msg.Omitted {
			size, hash, err := proto.ParseOmitted(msg.Value)
			if err != nil {
				return Change{}, err // Decode checked the length: not reached
			}
			c.Omitted, c.Size, c.Hash = true, int64(size), hash
		} else {
			c.Value, c.Size = bytes.Clone(msg.Value), int64(len(msg.Value))
		}
		return c, nil
	}
}

// Changes yields changes as Next returns them, until ctx ends, the
// watcher is closed (neither is reported) or another error occurs (yielded
// last).
func (w *Watcher) Changes(ctx context.Context) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		if ctx == nil {
			yield(Change{}, errNilContext)
			return
		}
		for {
			ch, err := w.Next(ctx)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, ErrClosed) {
					yield(Change{}, err)
				}
				return
			}
			if !yield(ch, nil) {
				return
			}
		}
	}
}

// Close closes the watcher's DISH socket; a Next in progress returns
// ErrClosed.
func (w *Watcher) Close() error { return w.dish.Close() }
