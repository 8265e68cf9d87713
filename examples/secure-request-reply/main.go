// Command secure-request-reply runs request-reply over CURVE, with its
// sockets and authenticator read from secure-request-reply.yaml (in
// libzmq-rs's configuration shape) through the config package.
//
// The server admits the client whose public key the file's auth section
// lists, and then sees that key as the peer's user id; a client with any
// other key is refused during the handshake.
//
//	go run ./examples/secure-request-reply
//	go run ./examples/secure-request-reply --config my.yaml
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// The default configuration is built in, so the program runs from any
// directory.
//
//go:embed secure-request-reply.yaml
var defaultConfig []byte

func main() {
	path := flag.String("config", "", "configuration file (default: the built-in secure-request-reply.yaml)")
	flag.Parse()
	cmdline.Main("secure-request-reply", 30*time.Second, func(ctx context.Context) error { return run(ctx, *path) })
}

func load(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse("secure-request-reply.yaml", defaultConfig)
	}
	return config.Load(path)
}

func run(ctx context.Context, path string) error {
	cfg, err := load(path)
	if err != nil {
		return err // one line: file:line:column: setting: what is wrong
	}
	if cfg.Server == nil || cfg.Client == nil {
		return errors.New("the configuration needs a server and a client section")
	}
	zctx := socket.NewCtx(nil)
	defer zctx.Close()

	// Options, mechanism and auth, then bind: all from the file.
	srv, err := cfg.Server.Build(zctx)
	if err != nil {
		return err
	}
	endpoint, _ := srv.LastEndpoint()
	fmt.Println("server: listening on", endpoint)

	cfg.Client.Connect = []config.Endpoint{config.Endpoint(endpoint)}
	cli, err := cfg.Client.Build(zctx)
	if err != nil {
		return err
	}
	if err := cli.Send(ctx, []byte("hello")); err != nil {
		return err
	}
	req, err := srv.Recv(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("server: %q over %s from user %s\n", req.Body, req.Peer.Mechanism, req.Peer.UserID)
	if err := srv.Route(ctx, []byte("world"), req.RoutingID); err != nil {
		return err
	}
	reply, err := cli.Recv(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("client: %q\n", reply.Body)

	return intruder(ctx, zctx, cfg, endpoint)
}

// intruder connects with a fresh key pair, which the auth section does not
// list, and reports the server's refusal.
func intruder(ctx context.Context, zctx *socket.Ctx, cfg *config.Config, endpoint string) error {
	known, ok := cfg.Client.Socket.Mechanism.(*mechanism.CurveClient)
	if !ok {
		return fmt.Errorf("the client's mechanism is %T, not curve_client", cfg.Client.Socket.Mechanism)
	}
	// No client keys: CurveClient generates a pair on first use.
	stranger := config.ClientConfig{Common: config.Common{Socket: socket.Options{Mechanism: &mechanism.CurveClient{ServerKey: known.ServerKey}}}}
	opts, err := stranger.Options()
	if err != nil {
		return err
	}
	cli, err := patterns.NewClient(zctx, opts)
	if err != nil {
		return err
	}
	defer cli.Close()
	events := cli.Monitor() // before connecting, so no event is missed
	if err := cli.Connect(endpoint); err != nil {
		return err
	}
	for {
		select {
		case e := <-events:
			if e.Type == socket.EventHandshakeSucceeded {
				return errors.New("the server admitted an unknown key")
			}
			if e.Type == socket.EventHandshakeFailed {
				fmt.Println("intruder: refused:", e.Err)
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
