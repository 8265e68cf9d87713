package server

import (
	"context"
	"fmt"
	"github.com/zmesh/zmesh/store"
	"log/slog"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend"

	// The volume kinds a configuration can always use. Other backends
	// (s3) register themselves when the program imports them.
	_ "github.com/zmesh/zmesh/store/backend/fs"
	_ "github.com/zmesh/zmesh/store/backend/memory"
)

// DefaultLinger is how long the server's sockets wait, on Close, for
// answers still queued, when the configuration gives them no linger: a
// server shutting down still answers the requests it finished.
const DefaultLinger = time.Second

// Open builds what the configuration describes and returns a Server ready
// to Serve, which owns all of it: it creates the volumes the storages use
// (only those), opens each storage's store, and creates, connects and
// binds the sockets. zctx may be nil (socket.DefaultCtx()) and logger nil
// (slog.Default()). On error everything built so far is closed again;
// errors about a volume, a storage or a socket are *config.Error values
// pointing at it in the file.
func (c *Config) Open(ctx context.Context, zctx *socket.Ctx, logger *slog.Logger) (_ *Server, err error) {
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

	var auth *config.AuthConfig
	if c.Auth != nil {
		auth = c.Auth
	}
	// withAuth gives a socket section without its own auth the file's.
	withAuth := func(x *config.Extras) error {
		if auth == nil || x.Auth != nil || x.Authenticator != nil {
			return nil
		}
		a, err := auth.Build()
		if err != nil {
			return &config.Error{File: c.Name, Path: "auth", Kind: config.ErrValue, Msg: err.Error(), Err: err}
		}
		x.Authenticator = a
		return nil
	}
	maxValue := c.Requests.MaxValueSize
	if maxValue <= 0 {
		maxValue = DefaultMaxValueSize
	}
	opts := Options{
		Storages: storages, named: named, storageConfigs: configs, Logger: logger,
		Workers: c.Requests.Workers, QueryWorkers: c.Requests.QueryWorkers, QueryQueue: c.Requests.QueryQueue,
		MaxValueSize: maxValue, MaxDrift: c.Requests.MaxDrift, RequestTimeout: c.Requests.Timeout,
		GCPeriod: c.GarbageCollection.Period, TombstoneLifespan: c.GarbageCollection.Lifespan,
	}

	// The request socket.
	sc := config.ServerConfig{Bind: []config.Endpoint{store.DefaultEndpoint}}
	if c.Server != nil {
		sc = *c.Server
	}
	if err := withAuth(&sc.Extras); err != nil {
		return nil, err
	}
	so, err := sc.Options()
	if err != nil {
		return nil, &config.Error{File: c.Name, Path: "server", Kind: config.ErrValue, Msg: err.Error(), Err: err}
	}
	socketDefaults(&so, logger)
	if so.MaxMsgSize == 0 {
		// Room for the largest value plus key, encoding and header, so an
		// oversized value is answered TOO_LARGE; anything much larger
		// drops the connection before it is read into memory.
		so.MaxMsgSize = int64(maxValue) + 1<<20
	}
	srvSock, err := patterns.NewServer(zctx, so)
	if err != nil {
		return nil, fmt.Errorf("store: server socket: %w", err)
	}
	undo = append(undo, func() { srvSock.Close() })
	if opts.Endpoints, err = attach(srvSock, c.Name, "server", sc.Connect, sc.Bind); err != nil {
		return nil, err
	}
	opts.Socket = srvSock

	if c.Radio != nil {
		rc := *c.Radio
		if err := withAuth(&rc.Extras); err != nil {
			return nil, err
		}
		ro, err := rc.Options()
		if err != nil {
			return nil, &config.Error{File: c.Name, Path: "radio", Kind: config.ErrValue, Msg: err.Error(), Err: err}
		}
		socketDefaults(&ro, logger)
		radio, err := patterns.NewRadio(zctx, ro, patterns.RadioOptions{NoDrop: rc.NoDrop})
		if err != nil {
			return nil, fmt.Errorf("store: radio socket: %w", err)
		}
		undo = append(undo, func() { radio.Close() })
		if opts.FeedEndpoints, err = attach(radio, c.Name, "radio", rc.Connect, rc.Bind); err != nil {
			return nil, err
		}
		opts.Feed = radio
	}

	if c.Gather != nil {
		gc := *c.Gather
		if err := withAuth(&gc.Extras); err != nil {
			return nil, err
		}
		gopts, err := gc.Options()
		if err != nil {
			return nil, &config.Error{File: c.Name, Path: "gather", Kind: config.ErrValue, Msg: err.Error(), Err: err}
		}
		socketDefaults(&gopts, logger)
		if gopts.MaxMsgSize == 0 {
			gopts.MaxMsgSize = int64(maxValue) + 1<<20
		}
		gather, err := patterns.NewGather(zctx, gopts)
		if err != nil {
			return nil, fmt.Errorf("store: gather socket: %w", err)
		}
		undo = append(undo, func() { gather.Close() })
		if opts.IngestEndpoints, err = attach(gather, c.Name, "gather", gc.Connect, gc.Bind); err != nil {
			return nil, err
		}
		opts.Ingest = gather
	}

	return NewServer(ctx, opts)
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

// socketDefaults fills what a storage server wants that a socket
// section left unset.
func socketDefaults(o *socket.Options, logger *slog.Logger) {
	if o.Linger == 0 {
		o.Linger = DefaultLinger
	}
	if o.Logger == nil {
		o.Logger = logger
	}
}

// endpointSocket is what attach needs of a socket.
type endpointSocket interface {
	Connect(string) error
	Bind(string) error
	LastEndpoint() (string, error)
}

// attach connects, then binds (package config's order), and returns the
// endpoints as they can be reached: connect endpoints as given, bound ones
// with their port resolved ("tcp://127.0.0.1:*" becomes the real port).
func attach(s endpointSocket, file, what string, connect, bind []config.Endpoint) ([]string, error) {
	var eps []string
	fail := func(op string, ep config.Endpoint, err error) error {
		msg := fmt.Sprintf("%s %s: %v", op, ep, err)
		return &config.Error{File: file, Path: what, Kind: config.ErrValue, Msg: msg, Err: err}
	}
	for _, ep := range connect {
		if err := s.Connect(string(ep)); err != nil {
			return nil, fail("connect", ep, err)
		}
		eps = append(eps, string(ep))
	}
	for _, ep := range bind {
		if err := s.Bind(string(ep)); err != nil {
			return nil, fail("bind", ep, err)
		}
		last, err := s.LastEndpoint()
		if err != nil || last == "" {
			last = string(ep)
		}
		eps = append(eps, last)
	}
	return eps, nil
}
