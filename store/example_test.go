package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/proto"
)

// A server with one memory storage, and a client putting and getting.
func Example() {
	ctx := context.Background()
	zctx := socket.NewCtx(nil)
	defer zctx.Close()

	sock, err := patterns.NewServer(zctx, socket.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := sock.Bind("inproc://example"); err != nil {
		log.Fatal(err)
	}
	srv, err := store.NewServer(ctx, store.Options{
		Socket:   sock,
		Storages: []store.Storage{{Name: "demo", KeyExpr: "demo/**", StripPrefix: "demo", Store: memory.New()}},
	})
	if err != nil {
		log.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx) }()
	defer func() {
		stop()
		<-served
		srv.Close(ctx)
	}()

	cli, err := store.Connect("inproc://example", store.ClientOptions{Ctx: zctx, Timeout: 5 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	cli.Put(ctx, "demo/greeting", []byte("hello"), store.WithEncoding("text/plain"))
	cli.Put(ctx, "demo/sensors/s1/temp", []byte("21.5"))
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
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	sock, _ := patterns.NewServer(zctx, socket.Options{})
	sock.Bind("inproc://watched")
	feed, _ := patterns.NewRadio(zctx, socket.Options{}, patterns.RadioOptions{})
	feed.Bind("inproc://watched-feed")
	srv, err := store.NewServer(ctx, store.Options{
		Socket: sock, Feed: feed,
		Storages: []store.Storage{{Name: "rooms", KeyExpr: "rooms/**", Store: memory.New()}},
	})
	if err != nil {
		log.Fatal(err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx) }()
	defer func() {
		stop()
		<-served
		srv.Close(ctx)
	}()

	cli, _ := store.Connect("inproc://watched", store.ClientOptions{Ctx: zctx, Timeout: 5 * time.Second})
	defer cli.Close()
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
		cli.Put(ctx, "rooms/kitchen/temp", []byte("20"))
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err := w.Next(short)
		cancel()
		if err == nil {
			break
		}
	}
	cli.Put(ctx, "rooms/kitchen/humidity", []byte("40")) // not watched
	cli.Put(ctx, "rooms/kitchen/temp", []byte("21"))
	cli.Delete(ctx, "rooms/kitchen/temp")
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

// Loading a configuration file and handling its errors.
func ExampleParseConfig() {
	_, err := store.ParseConfig("zmesh.yaml", []byte(`
storages:
  demo:
    key_expr: demo/**
    strip_prefix: dem
    volume: memory
`))
	fmt.Println(err)
	// Output:
	// zmesh.yaml:5:19: storages.demo.strip_prefix: strip_prefix "dem" does not prefix every key of key_expr "demo/**" (it must be whole chunks of key_expr's literal start)
}
