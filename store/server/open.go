package server

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"

	// The volume kinds a configuration can always use. Other backends
	// (s3) register themselves when the program imports them.
	_ "github.com/zmesh/zmesh/store/backend/engine"
	_ "github.com/zmesh/zmesh/store/backend/fs"
	_ "github.com/zmesh/zmesh/store/backend/memory"
)

// DefaultLinger is how long the server's sockets wait, on Close, for
// answers still queued, when the configuration gives them no linger: a
// server shutting down still answers the requests it finished.
const DefaultLinger = time.Second

// Defaults of the request and ingest sockets beyond the engine's, so that a
// server's memory has a bound without any configuration (docs/limits.md):
// at most DefaultMaxConnections peers at once, each able to pin at most
// DefaultSendHWMBytes of answers it does not read and DefaultRecvHWMBytes
// of requests the workers have not taken. The YAML file's server section
// overrides each (max_connections, send_hwm_bytes, recv_hwm_bytes, and
// max_connections_per_address, which has no default).
const (
	DefaultMaxConnections = 1024
	DefaultSendHWMBytes   = 8 << 20
	DefaultRecvHWMBytes   = 8 << 20
)

// requestSocketDefaults are the options the request (and ingest) socket
// gets where the file leaves them unset: DefaultLinger, the connection cap
// and byte bounds above, and a message size bound with room for the
// largest value plus key, encoding and header.
func requestSocketDefaults(logger *slog.Logger, maxValue int) socket.Options {
	return socket.Options{
		Linger:         DefaultLinger,
		Logger:         logger,
		MaxMsgSize:     int64(max(maxValue, streamChunk)) + 1<<20, // a chunk of a streamed value fits too
		MaxConnections: DefaultMaxConnections,
		SendHWMBytes:   DefaultSendHWMBytes,
		RecvHWMBytes:   DefaultRecvHWMBytes,
	}
}

// Open builds what the configuration describes and returns a Server ready
// to Serve, which owns all of it: it creates the volumes the storages use
// (only those), opens each storage's store, and creates, connects and
// binds the sockets. zctx may be nil (socket.DefaultCtx()) and logger nil
// (slog.Default()). On error everything built so far is closed again;
// errors about a volume, a storage or a socket are *config.Error values
// pointing at it in the file.
func (c *Config) Open(ctx context.Context, zctx *socket.Ctx, logger *slog.Logger) (_ *Server, err error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if logger == nil {
		logger = slog.Default()
	}
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	pin := func(line, column int, path string, err error) error {
		return &config.Error{File: c.Name, Line: line, Column: column, Path: path, Kind: config.ErrValue, Msg: err.Error(), Err: err}
	}

	volumes := map[string]backend.Volume{}
	var named []*volume
	var storages []Storage
	var configs []*StorageConfig
	for i, sc := range c.Storages {
		v, ok := volumes[sc.Volume]
		if !ok {
			vc := c.volume(sc.Volume)
			v, err = backend.NewVolume(backend.WithLogger(ctx, logger), vc.Kind, vc.Options)
			if err != nil {
				return nil, pin(vc.line, vc.column, "volumes."+vc.Name, err)
			}
			volumes[sc.Volume] = v
			named = append(named, &volume{name: vc.Name, kind: vc.Kind, options: vc.Options, vol: v})
			undo = append(undo, func() { v.Close(context.WithoutCancel(ctx)) })
		}
		st, err := v.Open(ctx, sc.Name, backend.StorageConfig{ReadOnly: sc.ReadOnly, Options: sc.Options})
		if err != nil {
			return nil, pin(sc.line, sc.column, "storages."+sc.Name, err)
		}
		undo = append(undo, func() { st.Close(context.WithoutCancel(ctx)) })
		storages = append(storages, Storage{Name: sc.Name, KeyExpr: sc.KeyExpr, StripPrefix: sc.StripPrefix,
			Store: st, ReadOnly: sc.ReadOnly, Volume: sc.Volume,
			TombstoneLifespan: sc.GC.Lifespan, GCPeriod: sc.GC.Period})
		kept := c.Storages[i]
		kept.Options = cloneOptions(kept.Options)
		configs = append(configs, &kept)
	}

	maxValue := c.Requests.MaxValueSize
	if maxValue <= 0 {
		maxValue = DefaultMaxValueSize
	}
	opts := Options{
		Storages: storages, Logger: logger,
		Workers: c.Requests.Workers, QueryWorkers: c.Requests.QueryWorkers, QueryQueue: c.Requests.QueryQueue,
		MaxValueSize: maxValue, MaxDrift: c.Requests.MaxDrift, RequestTimeout: c.Requests.Timeout,
		StallTimeout: c.Requests.StallTimeout, VolumeRoot: c.Admin.VolumeRoot,
		MaxStreamSize: int64(c.Requests.MaxStreamSize), UploadIdle: c.Requests.UploadIdle,
		GCPeriod: c.GarbageCollection.Period, TombstoneLifespan: c.GarbageCollection.Lifespan,
	}
	sockets, err := c.sockets(zctx, logger, maxValue)
	if err != nil {
		return nil, err
	}
	undo = append(undo, sockets.close)
	opts.Socket, opts.Endpoints = sockets.server, sockets.endpoints
	opts.Feed, opts.FeedEndpoints = sockets.radio, sockets.feedEndpoints
	opts.Ingest, opts.IngestEndpoints = sockets.gather, sockets.ingestEndpoints
	return newServer(ctx, opts, opened{named: named, configs: configs})
}

// volume returns the volume called name; "memory" exists without being
// declared.
func (c *Config) volume(name string) VolumeConfig {
	for _, v := range c.Volumes {
		if v.Name == name {
			return v
		}
	}
	return VolumeConfig{Name: name, Kind: "memory"}
}

// builtSockets are the sockets Config.sockets built, with the endpoints
// each is attached to.
type builtSockets struct {
	server                                    *patterns.Server
	radio                                     *patterns.Radio
	gather                                    *patterns.Gather
	endpoints, feedEndpoints, ingestEndpoints []string
}

// close closes the sockets built so far.
func (b *builtSockets) close() {
	for _, s := range []interface{ Close() error }{b.server, b.radio, b.gather} {
		if !isNilSocket(s) {
			s.Close()
		}
	}
}

// sockets builds the request socket (on DefaultEndpoint without a server
// section), and the radio and gather sockets if the file has them, each
// with package config's Build and the server's defaults: a linger of
// DefaultLinger, so that a server shutting down still sends the answers it
// finished; the server's logger; and, for the sockets that carry values, a
// message size bound with room for the largest value plus key, encoding
// and header, so that an oversized value is answered TOO_LARGE while
// anything much larger drops the connection before it is read into memory.
// A section without an auth section of its own uses the file's. On error,
// what was built is closed.
func (c *Config) sockets(zctx *socket.Ctx, logger *slog.Logger, maxValue int) (_ *builtSockets, err error) {
	b := &builtSockets{}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	var shared mechanism.Authenticator
	if c.Auth != nil {
		a, err := c.Auth.Build()
		if err != nil {
			return nil, &config.Error{File: c.Name, Path: "auth", Kind: config.ErrValue, Msg: err.Error(), Err: err}
		}
		shared = a
	}
	withAuth := func(x config.Common) config.Common {
		if shared != nil && x.Auth == nil && x.Socket.Auth == nil {
			x.Socket.Auth = shared
		}
		return x
	}
	fail := func(what string, err error) error {
		msg := strings.TrimPrefix(err.Error(), "config: "+what+": ")
		return &config.Error{File: c.Name, Path: what, Kind: config.ErrValue, Msg: msg, Err: err}
	}
	defaults := socket.Options{Linger: DefaultLinger, Logger: logger}
	carrying := requestSocketDefaults(logger, maxValue)

	sc := config.ServerConfig{Common: config.Common{Bind: []config.Endpoint{store.DefaultEndpoint}}}
	if c.Server != nil {
		sc = *c.Server
	}
	sc.Common = withAuth(sc.Common)
	if b.server, b.endpoints, err = sc.BuildWith(zctx, carrying); err != nil {
		return nil, fail("server", err)
	}
	if c.Radio != nil {
		rc := *c.Radio
		rc.Common = withAuth(rc.Common)
		if b.radio, b.feedEndpoints, err = rc.BuildWith(zctx, defaults); err != nil {
			return nil, fail("radio", err)
		}
	}
	if c.Gather != nil {
		gc := *c.Gather
		gc.Common = withAuth(gc.Common)
		if b.gather, b.ingestEndpoints, err = gc.BuildWith(zctx, carrying); err != nil {
			return nil, fail("gather", err)
		}
	}
	return b, nil
}
