package server

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// PutStream stores the size bytes r gives under key, in-process and
// streamed: the value goes to the one writable storage holding key
// through its backend.Streamer without being held in memory (a store
// without one takes values up to MaxValueSize, held whole). It is the
// HTTP face's put of a large body. The server stamps the entry; refusals
// are *proto.StatusError values as Do returns them (a size over
// MaxStreamSize is proto.StatusTooLarge, naming the limit; r giving fewer
// or more than size bytes is proto.StatusIntegrity), and nothing is
// stored. The value is announced on the change feed and to Subscribe's
// subscribers without its bytes, as a streamed put over the protocol is.
func (s *Server) PutStream(ctx context.Context, key, encoding string, r io.Reader, size int64) error {
	if ctx == nil {
		return errNilContext
	}
	if err := keyexpr.ValidateKey(key); err != nil {
		return keyRefusal(err, "key")
	}
	if size < 0 {
		return refuse(proto.StatusMalformed, "size %d", size)
	}
	if err := checkWrite(key, encoding, uint64(size), uint64(s.opts.MaxStreamSize), maxStreamSetting); err != nil {
		return err
	}
	ts := s.clock.Now()
	v := s.acquire()
	defer v.release()
	target, streamer, sk, err := s.streamTarget(v, key, uint64(size))
	if err != nil {
		return err
	}
	target.wild.mu.RLock()
	shadowed := target.wild.shadowedLocked(key, ts)
	target.wild.mu.RUnlock()
	if shadowed {
		return nil
	}
	e := backend.StreamEntry{Entry: backend.Entry{Key: sk, Encoding: encoding, Timestamp: ts}, Size: size}
	return s.applyStreamed(target, key, &e, func() (bool, error) {
		applied, err := streamer.PutStream(ctx, e, r)
		if err != nil {
			return false, asRefusal(s.streamErr(target, err))
		}
		return applied, nil
	})
}

// StreamedValue is a value OpenStream found.
type StreamedValue struct {
	backend.StreamEntry
	// Open returns a reader of the value from byte offset off on, which
	// the caller must close. It fails (proto.StatusUnavailable) when the
	// key has been written since OpenStream, rather than mix two values.
	Open func(ctx context.Context, off int64) (io.ReadCloser, error)
}

// OpenStream finds the newest entry of key (a plain key) among the
// storages holding it, in-process, without reading its value: the HTTP
// face's GET of a large value (with Range requests: Open reads from any
// offset). ok is false when no storage holds a value for key (nothing, or
// a tombstone). Entry.Key is the full key; Hash is the stored BLAKE3 hash,
// zero when the value was stored whole (compute it from the value).
func (s *Server) OpenStream(ctx context.Context, key string) (StreamedValue, bool, error) {
	if ctx == nil {
		return StreamedValue{}, false, errNilContext
	}
	if err := keyexpr.ValidateKey(key); err != nil {
		return StreamedValue{}, false, keyRefusal(err, "key")
	}
	v := s.acquire()
	defer v.release()
	if err := v.refusal(); err != nil {
		return StreamedValue{}, false, err
	}
	targets, _, err := v.queried(key, "holds")
	if err != nil {
		return StreamedValue{}, false, err
	}
	var best StreamedValue
	found := false
	for _, st := range targets {
		sk, ok := st.strip(key)
		if !ok {
			continue
		}
		x := streamerOf(st)
		e, rc, ok, err := x.OpenStream(ctx, sk, 0)
		if rc != nil {
			rc.Close()
		}
		if err != nil {
			return StreamedValue{}, false, asRefusal(fmt.Errorf("storage %q: %w", st.Name, err))
		}
		if !ok || found && e.Timestamp.Compare(best.Timestamp) <= 0 {
			continue
		}
		e.Key = key
		ts, name := e.Timestamp, st.Name
		best, found = StreamedValue{StreamEntry: e, Open: func(ctx context.Context, off int64) (io.ReadCloser, error) {
			e2, rc, ok, err := x.OpenStream(ctx, sk, off)
			if err != nil {
				return nil, asRefusal(fmt.Errorf("storage %q: %w", name, err))
			}
			if !ok || e2.Deleted || e2.Timestamp != ts {
				if rc != nil {
					rc.Close()
				}
				return nil, refuse(proto.StatusUnavailable, "%q was written while it was read; read it again", key)
			}
			return rc, nil
		}}, true
	}
	if !found || best.Deleted {
		return StreamedValue{}, false, nil
	}
	return best, true, nil
}

// asRefusal turns an error into the *proto.StatusError Do would return.
func asRefusal(err error) error {
	var se *proto.StatusError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &proto.StatusError{Status: statusOf(err), Text: err.Error()}
}
