package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"

	// Volume kind "s3" for configurations (memory and fs come with store).
	_ "github.com/zmesh/zmesh/store/backend/s3"
)

// shutdownGrace bounds how long serve waits, after SIGINT or SIGTERM, for
// the requests in flight to be answered and the stores to close.
const shutdownGrace = 10 * time.Second

func serveUsage(w io.Writer) {
	fmt.Fprint(w, `usage: zmesh serve [-c config.yaml] [flags]

Runs a storage server. Without -c it runs the built-in default configuration:
one storage for every key ("**") in the engine volume ./zmesh-data, requests
on tcp://127.0.0.1:7447 and the change feed on tcp://127.0.0.1:7448;
--data, --bind and --feed change those. A ./zmesh-data (or --data DIR) in the
fs layout of earlier versions (one file per key) is served as an fs volume,
as before; zmesh convert --from fs --to engine DIR converts it.
examples/storage/zmesh.yaml is an annotated configuration. SIGINT or SIGTERM
stops the server cleanly: it answers the requests in flight, then closes.

--http 127.0.0.1:8000 adds the HTTP face (docs/http.md): a status page at
http://127.0.0.1:8000/ in a browser, GET/PUT/DELETE /<key expression> as
Zenoh's REST plugin (with Accept: text/event-stream, its changes live),
GET /health, GET /metrics (Prometheus), and with --admin-token (or $ZMESH_ADMIN_TOKEN) the admin routes
under /@admin that list, add and remove storages and volumes at run time;
fs volumes added there must lie under --admin-volume-root (or the YAML's
admin.volume_root), others are refused with 403.

With -c, --bind and --feed replace the file's server.bind and radio.bind;
--data is refused (set the volume's root in the file).

`)
}

// runServe is `zmesh serve`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zmesh serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The usage goes to stdout when asked for (-h), to stderr after a
	// mistake; the flag package's own call of Usage does neither.
	printUsage := func(w io.Writer) { serveUsage(w); fs.SetOutput(w); fs.PrintDefaults(); fs.SetOutput(stderr) }
	fs.Usage = func() {}
	bind := fs.String("bind", "", "endpoints (comma-separated) to take requests on, replacing the configuration's server.bind (e.g. tcp://127.0.0.1:7450)")
	feed := fs.String("feed", "", "endpoints (comma-separated) of the change feed, replacing the configuration's radio.bind; \"none\": no change feed")
	dataDir := fs.String("data", "", "the built-in configuration's volume directory (default ./zmesh-data); not with -c")
	var path string
	fs.StringVar(&path, "c", "", "configuration file (YAML); none: the built-in default")
	fs.StringVar(&path, "config", "", "same as -c")
	printConfig := fs.Bool("print-config", false, "print the built-in default configuration and exit")
	verbose := fs.Bool("v", false, "log connections and refused requests (debug level)")
	httpAddr := fs.String("http", "", "serve the HTTP face on this address (host:port, e.g. 127.0.0.1:8000); none: no HTTP")
	adminToken := fs.String("admin-token", os.Getenv("ZMESH_ADMIN_TOKEN"),
		"bearer token of the HTTP admin routes (default $ZMESH_ADMIN_TOKEN); none: the admin routes are off")
	volumeRoot := fs.String("admin-volume-root", "",
		"directory under which fs volumes added through the admin routes must lie (overrides admin.volume_root); none: they are refused")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // asked for: the usage on stdout, exit 0
			printUsage(stdout)
			return nil
		}
		printUsage(stderr)
		return errUsage // the flag package printed what is wrong
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zmesh serve: unexpected argument %q\n", fs.Arg(0))
		printUsage(stderr)
		return errUsage
	}
	if *printConfig {
		_, err := io.WriteString(stdout, server.DefaultConfigYAML)
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "zmesh serve: "+format+"\n", args...) }

	var cfg *server.Config
	var err error
	if path == "" {
		cfg, err = server.DefaultConfig()
		say("no -c given: running the built-in default configuration (zmesh serve --print-config shows it)")
	} else {
		if *dataDir != "" {
			fmt.Fprintln(stderr, "zmesh serve: --data moves the built-in configuration's volume; with -c, set the volume's root in the file")
			return errUsage
		}
		cfg, err = server.LoadConfig(path)
		say("configuration %s", path)
	}
	if err != nil {
		return err
	}
	if err := overrideSockets(cfg, *bind, *feed, path != "", say); err != nil {
		fmt.Fprintf(stderr, "zmesh serve: %v\n", err)
		return errUsage
	}
	if path == "" {
		if err := chooseDataVolume(cfg, *dataDir, say); err != nil {
			return err
		}
	}
	if *volumeRoot != "" {
		cfg.Admin.VolumeRoot = *volumeRoot
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	zctx := socket.NewCtx(logger)
	defer zctx.Close()

	srv, err := cfg.Open(ctx, zctx, logger)
	if err != nil {
		return err
	}
	// serveCtx ends the storage server and the HTTP face together: on a
	// signal, or when either of them fails.
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	httpDone := make(chan error, 1)
	if *httpAddr == "" {
		httpDone <- nil
		if *adminToken != "" {
			say("--admin-token given without --http: no admin routes")
		}
	} else {
		ln, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			srv.Close(context.WithoutCancel(ctx))
			return fmt.Errorf("http: %w", err)
		}
		h := httpapi.NewHandler(srv, httpapi.Options{AdminToken: *adminToken, Logger: logger})
		go func() {
			err := httpapi.Serve(serveCtx, ln, h, logger)
			if err != nil {
				say("http: %v", err)
				stopServe()
			}
			httpDone <- err
		}()
		say("http listening on %s", ln.Addr())
		if *adminToken != "" {
			say("http admin routes on %s/@admin (bearer token required)", ln.Addr())
		} else {
			say("http admin routes off (no --admin-token)")
		}
	}
	used := map[string]bool{}
	for _, s := range cfg.Storages {
		used[s.Volume] = true
	}
	for _, v := range cfg.Volumes {
		if used[v.Name] {
			say("volume %s: %s%s", v.Name, v.Kind, describeVolume(v))
		}
	}
	info := srv.Info()
	for _, s := range info.Storages {
		line := fmt.Sprintf("storage %s: key_expr %s", s.Name, s.KeyExpr)
		if s.StripPrefix != "" {
			line += ", strip_prefix " + s.StripPrefix
		}
		line += ", volume " + s.Volume
		if s.ReadOnly {
			line += ", read-only"
		}
		say("%s", line)
	}
	say("requests on %s", strings.Join(info.Endpoints, ", "))
	if len(info.Feed) > 0 {
		say("change feed on %s", strings.Join(info.Feed, ", "))
	} else {
		say("no change feed (no radio section)")
	}
	if len(info.Ingest) > 0 {
		say("bulk ingest on %s", strings.Join(info.Ingest, ", "))
	}
	say("ready; SIGINT (Ctrl-C) or SIGTERM stops it")

	serveErr := srv.Serve(serveCtx)
	say("shutting down")
	stopServe()
	httpErr := <-httpDone // the HTTP requests in flight are answered before the stores close
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Close(closeCtx); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if serveErr != nil {
		return serveErr
	}
	if httpErr != nil {
		return fmt.Errorf("http: %w", httpErr)
	}
	say("stopped")
	return nil
}

// overrideSockets applies --bind and --feed to cfg.
func overrideSockets(cfg *server.Config, bind, feed string, file bool, say func(string, ...any)) error {
	endpoints := func(flagName, list string) ([]config.Endpoint, error) {
		var eps []config.Endpoint
		for _, ep := range strings.Split(list, ",") {
			if ep = strings.TrimSpace(ep); ep == "" {
				return nil, fmt.Errorf("--%s %q: an empty endpoint", flagName, list)
			}
			eps = append(eps, config.Endpoint(ep))
		}
		return eps, nil
	}
	if bind != "" {
		eps, err := endpoints("bind", bind)
		if err != nil {
			return err
		}
		if cfg.Server == nil {
			cfg.Server = &config.ServerConfig{}
		}
		cfg.Server.Bind = eps
		if file {
			say("--bind replaces the file's server.bind")
		}
	}
	switch feed {
	case "":
	case "none":
		cfg.Radio = nil
	default:
		eps, err := endpoints("feed", feed)
		if err != nil {
			return err
		}
		if cfg.Radio == nil {
			cfg.Radio = &config.RadioConfig{}
		}
		cfg.Radio.Bind = eps
		if file {
			say("--feed replaces the file's radio.bind")
		}
	}
	return nil
}

// chooseDataVolume points the built-in configuration's volume "data" at
// dir (if set), and serves it as an fs volume if it holds one: a data
// directory written by earlier versions, whose default volume was fs, is
// served as before, never ignored or overwritten. A conversion stopped
// half-way is refused (see checkConversionState).
func chooseDataVolume(cfg *server.Config, dir string, say func(string, ...any)) error {
	var v *server.VolumeConfig
	for i := range cfg.Volumes {
		if cfg.Volumes[i].Name == "data" {
			v = &cfg.Volumes[i]
		}
	}
	if v == nil {
		return nil
	}
	if dir != "" {
		v.Options["root"] = dir
	}
	root, ok := v.Options["root"].(string)
	if !ok || v.Kind != engine.Kind {
		return nil
	}
	note, err := checkConversionState(root)
	if err != nil {
		return err
	}
	if note != "" {
		say("%s", note)
	}
	l, err := detectLayout(root)
	if err != nil {
		return err
	}
	if l == layoutFS {
		v.Kind = "fs"
		v.Options = backend.Options{"root": root}
		say("%s is in the fs layout (one file per key, the default volume of earlier versions): serving it as an fs volume; "+
			"zmesh convert --from fs --to engine %s converts it to the faster engine volume (stop the server first)", root, root)
	}
	return nil
}

// describeVolume names where a volume keeps its data, for the startup
// lines (never its credentials).
func describeVolume(v server.VolumeConfig) string {
	var parts []string
	for _, k := range []string{"root", "sync", "sync_window", "url", "endpoint", "region", "bucket"} {
		if s, ok := v.Options[k].(string); ok && s != "" {
			parts = append(parts, k+" "+s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
