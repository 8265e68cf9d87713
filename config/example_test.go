package config_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// A file describes the sockets; Build creates each, sets its options, and
// connects and binds it.
func ExampleParse() {
	cfg, err := config.Parse("app.yaml", []byte(`
server:
  bind: [inproc://greeter]
  recv_timeout: 5s
client:
  connect:
    - inproc: greeter          # libzmq-rs's form of inproc://greeter
  send_high_water_mark: 100    # libzmq-rs's example spells it so
  recv_timeout: 5s
`))
	if err != nil {
		log.Fatal(err)
	}
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, err := cfg.Server.Build(zctx)
	if err != nil {
		log.Fatal(err)
	}
	cli, err := cfg.Client.Build(zctx)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := cli.Send(ctx, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	m, err := srv.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Route(ctx, append(m.Body, ", world"...), m.RoutingID); err != nil {
		log.Fatal(err)
	}
	reply, err := cli.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply.Body))
	fmt.Println("client send HWM:", cli.Options().SendHWM)
	// Output:
	// hello, world
	// client send HWM: 100
}

// Errors are one line naming the file, line, column and setting, and match
// their kind with errors.Is.
func ExampleError() {
	_, err := config.Parse("secure.yaml", []byte(`
server:
  bind: [tcp://0.0.0.0:5555]
  send_hwm: -3
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, config.ErrValue))

	_, err = config.Parse("secure.yaml", []byte(`
server:
  bind: [tcp://0.0.0.0:5555]
  mechanism: {curve_server: {secret: "too short"}}
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, mechanism.ErrInvalidKey))
	// Output:
	// secure.yaml:4:13: server.send_hwm: want a non-negative integer, got "-3"
	// true
	// secure.yaml:4:38: server.mechanism.curve_server.secret: want a 40-character Z85 key, got 9 characters
	// true
}

// Secrets can come from the environment; a Loader can supply another
// source.
func ExampleLoader() {
	vault := map[string]string{"SERVER_SECRET": "q7v%+:)^Mt@CIzw1+cU%tzC$m20um9MiG(Funzw^"}
	l := &config.Loader{LookupEnv: func(name string) (string, bool) {
		v, ok := vault[name]
		return v, ok
	}}
	cfg, err := l.Parse("server.yaml", []byte(`
server:
  bind: [tcp://127.0.0.1:*]
  mechanism: {curve_server: {secret: "${SERVER_SECRET}"}}
`))
	if err != nil {
		log.Fatal(err)
	}
	pub, err := cfg.Server.Socket.Mechanism.(*mechanism.CurveServer).PublicKey()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("clients need the public key", pub)

	_, err = l.Parse("server.yaml", []byte(`server: {mechanism: {curve_server: {secret: "${CLIENT_SECRET}"}}}`))
	fmt.Println(err)
	// Output:
	// clients need the public key +@AA(<Mi={cwN*zWSxLJboanVA3K4a4Jdz%[GcvZ
	// server.yaml:1:45: server.mechanism.curve_server.secret: environment variable CLIENT_SECRET is not set
}

// The auth section is built once and shared by the file's sockets; its
// lists can change while they run.
func ExampleConfig_authenticator() {
	cfg, err := config.Parse("auth.yaml", []byte(`
auth:
  whitelist: [127.0.0.1, 10.0.0.0/8]
  curve_registry: ["k8YnHuzVTBH%MqW68EX]{so.9KP.}{f[Mhq*NhFy"]
server:
  bind: [tcp://127.0.0.1:*]
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Server.Socket.Auth == mechanism.Authenticator(cfg.Authenticator))
	if err := cfg.Authenticator.AllowAddr("192.168.1.0/24"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Authenticator.AllowedAddrs())
	// Output:
	// true
	// [10.0.0.0/8 127.0.0.1 192.168.1.0/24]
}
