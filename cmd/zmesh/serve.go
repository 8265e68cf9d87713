package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"

	// Volume kind "s3" for configurations (memory and fs come with store).
	_ "github.com/zmesh/zmesh/store/backend/s3"
)

// defaultConfig is the configuration serve runs without -c. Tests point it
// at other ports.
var defaultConfig = store.DefaultConfig

// shutdownGrace bounds how long serve waits, after SIGINT or SIGTERM, for
// the requests in flight to be answered and the stores to close.
const shutdownGrace = 10 * time.Second

func serveUsage(w io.Writer) {
	fmt.Fprint(w, `usage: zmesh serve [-c config.yaml] [flags]

Runs a storage server. Without -c it runs the built-in default configuration:
one storage for every key ("**") in the fs volume ./zmesh-data, requests on
tcp://127.0.0.1:7447 and the change feed on tcp://127.0.0.1:7448.
examples/storage/zmesh.yaml is an annotated configuration. SIGINT or SIGTERM
stops the server cleanly: it answers the requests in flight, then closes.

`)
}

// runServe is `zmesh serve`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zmesh serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { serveUsage(stderr); fs.PrintDefaults() }
	var path string
	fs.StringVar(&path, "c", "", "configuration file (YAML); none: the built-in default")
	fs.StringVar(&path, "config", "", "same as -c")
	printConfig := fs.Bool("print-config", false, "print the built-in default configuration and exit")
	verbose := fs.Bool("v", false, "log connections and refused requests (debug level)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package printed what is wrong, and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zmesh serve: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	if *printConfig {
		_, err := io.WriteString(stdout, store.DefaultConfigYAML)
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "zmesh serve: "+format+"\n", args...) }

	var cfg *store.Config
	var err error
	if path == "" {
		cfg, err = defaultConfig()
		say("no -c given: running the built-in default configuration (zmesh serve --print-config shows it)")
	} else {
		cfg, err = store.LoadConfig(path)
		say("configuration %s", path)
	}
	if err != nil {
		return err
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

	serveErr := srv.Serve(ctx)
	say("shutting down")
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Close(closeCtx); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if serveErr != nil {
		return serveErr
	}
	say("stopped")
	return nil
}

// describeVolume names where a volume keeps its data, for the startup
// lines (never its credentials).
func describeVolume(v store.VolumeConfig) string {
	var parts []string
	for _, k := range []string{"root", "url", "endpoint", "region", "bucket"} {
		if s, ok := v.Options[k].(string); ok && s != "" {
			parts = append(parts, k+" "+s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
