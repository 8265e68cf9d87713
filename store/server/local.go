package server

import (
	"context"
	"fmt"

	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

// Do handles one request in-process, exactly as if it had arrived on the
// request socket: the same validation, stamping, last-writer-wins, change
// feed, statistics and metrics. It is how the HTTP face (package
// store/httpapi) reaches the storages.
//
// req is a PUT, DELETE or QUERY (its ID is only echoed in the messages
// given to reply). A put or delete without a timestamp is stamped by the
// server's clock when Do is called. For a query, reply is called once per
// REPLY, on the calling goroutine, before Do returns (the message's Value
// may be shared with the store: read it, do not keep or modify it); an
// error from reply ends the query and is returned. Do returns nil when the
// request was handled with status OK, or else a *proto.StatusError that
// matches its status (errors.Is(err, proto.StatusBackend)); after Close the
// error also matches ErrClosed.
//
// Wildcard queries and deletes run on the calling goroutine rather than on
// the query workers, but share their bound: at most QueryWorkers +
// QueryQueue of them at once, beyond which they are refused with
// proto.StatusUnavailable. ctx ends the request early, as the server's
// RequestTimeout does.
func (s *Server) Do(ctx context.Context, req proto.Message, reply func(proto.Message) error) error {
	if ctx == nil {
		return errNilContext
	}
	if s.cur.Load().closing {
		return fmt.Errorf("%w: %w", ErrClosed, refuse(proto.StatusUnavailable, "the server is closed"))
	}
	var stamp hlc.Timestamp
	switch req.Kind {
	case proto.KindPut, proto.KindDelete:
		if req.Timestamp.IsZero() {
			stamp = s.clock.Now() // arrival order, as the request workers do
		}
	case proto.KindQuery:
	default:
		return refuse(proto.StatusUnsupported, "a %v message is not a request (send PUT, DELETE or QUERY)", req.Kind)
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	stop := context.AfterFunc(s.reqCtx, cancel) // Close gave up waiting
	defer stop()
	lc := &localCall{ctx: lctx, onReply: reply}
	s.dispatch(request{msg: req, stamp: stamp, local: lc})
	if lc.err != nil && s.cur.Load().closing {
		return fmt.Errorf("%w: %w", ErrClosed, lc.err)
	}
	return lc.err
}

// localCall is where the answers of a request made with Do go. It is used
// by one goroutine, the caller's.
type localCall struct {
	ctx     context.Context
	onReply func(proto.Message) error
	err     error // the outcome: nil or a *proto.StatusError
}

func (c *localCall) reply(m proto.Message) error {
	if c.onReply == nil {
		return nil
	}
	return c.onReply(m)
}

// done records the FINAL.
func (c *localCall) done(final proto.Message) {
	if se := final.Err(); se != nil {
		c.err = se
	}
}

// runLocalSlow runs a wildcard request made with Do on the caller's
// goroutine, if one of the slots shared by such requests is free.
func (s *Server) runLocalSlow(r request) {
	select {
	case s.localSlow <- struct{}{}:
		defer func() { <-s.localSlow }()
		s.handleSlow(r)
	default:
		s.finish(s.reqCtx, &r, 0, refuse(proto.StatusUnavailable,
			"server busy: %d wildcard requests already running; retry later", cap(s.localSlow)))
	}
}

// refusal returns the error a request gets from the view Close leaves
// behind, nil from any other.
func (v *view) refusal() error {
	if v.closing {
		return refuse(proto.StatusUnavailable, "the server is closed")
	}
	return nil
}

// MaxValueSize is the largest value a put may carry, in bytes
// (Options.MaxValueSize): the HTTP face bounds request bodies with it.
func (s *Server) MaxValueSize() int { return s.opts.MaxValueSize }
