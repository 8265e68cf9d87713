package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// demo runs a storage server, configured by the YAML conf, in a socket
// context of its own, and returns a client connected to its request
// endpoint; stop closes the client, the server and the context.
func demo(ctx context.Context, conf string) (cli *store.Client, stop func(), err error) {
	cfg, err := server.ParseConfig("demo.yaml", []byte(conf))
	if err != nil {
		return nil, nil, err
	}
	zctx := socket.NewCtx(nil)
	srv, err := cfg.Open(ctx, zctx, nil)
	if err != nil {
		zctx.Close()
		return nil, nil, err
	}
	serveCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx) }()
	stopServer := func() {
		cancel()
		<-served
		srv.Close(ctx)
		zctx.Close()
	}
	cli, err = store.Connect(srv.Info().Endpoints[0], store.ClientOptions{Ctx: zctx, Timeout: 5 * time.Second})
	if err != nil {
		stopServer()
		return nil, nil, err
	}
	return cli, func() { cli.Close(); stopServer() }, nil
}

// A client putting and getting, with a server holding one storage in
// memory.
func Example() {
	ctx := context.Background()
	cli, stop, err := demo(ctx, `
server: {bind: [inproc://example]}
storages: {demo: {key_expr: demo/**, strip_prefix: demo, volume: memory}}
`)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	if err := cli.Put(ctx, "demo/greeting", []byte("hello"), store.WithEncoding("text/plain")); err != nil {
		log.Fatal(err)
	}
	if err := cli.Put(ctx, "demo/sensors/s1/temp", []byte("21.5")); err != nil {
		log.Fatal(err)
	}
	samples, err := cli.Get(ctx, "demo/**")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range samples {
		fmt.Printf("%s = %s\n", s.Key, s.Value)
	}

	err = cli.Put(ctx, "demo/*", []byte("x"))
	fmt.Println(errors.Is(err, proto.StatusWildcardKey), err)
	// Output:
	// demo/greeting = hello
	// demo/sensors/s1/temp = 21.5
	// true storage server: wildcard in a put key: key "demo/*" has a wildcard at byte 5; a put needs a plain key
}

// Watching the change feed of a key expression.
func ExampleClient_Watch() {
	ctx := context.Background()
	cli, stop, err := demo(ctx, `
server: {bind: [inproc://watched]}
radio: {bind: [inproc://watched-feed]}
storages: {rooms: {key_expr: rooms/**, volume: memory}}
`)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	// Watch asks the server where its feed is and which storages
	// "rooms/*/temp" reaches, and joins their groups.
	w, err := cli.Watch(ctx, "rooms/*/temp")
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	// The subscription reaches the server just after Watch returns; a
	// first write until one is seen makes sure of it.
	for {
		if err := cli.Put(ctx, "rooms/kitchen/temp", []byte("20")); err != nil {
			log.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err := w.Next(short)
		cancel()
		if err == nil {
			break
		}
	}
	for _, err := range []error{
		cli.Put(ctx, "rooms/kitchen/humidity", []byte("40")), // not watched
		cli.Put(ctx, "rooms/kitchen/temp", []byte("21")),
		cli.Delete(ctx, "rooms/kitchen/temp"),
	} {
		if err != nil {
			log.Fatal(err)
		}
	}
	for range 2 {
		ch, err := w.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ch.Storage, ch.Key, ch.Deleted, string(ch.Value))
	}
	// Output:
	// rooms rooms/kitchen/temp false 21
	// rooms rooms/kitchen/temp true
}
