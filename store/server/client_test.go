package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/internal/storetest"
	"github.com/zmesh/zmesh/store/proto"
)

func TestGetSeqStreamsAndStopsEarly(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	for i := range 300 {
		must(t, f.cli.Put(ctx, fmt.Sprintf("many/%03d", i), []byte("v")))
	}
	n := 0
	for s, err := range f.cli.GetSeq(ctx, "many/**") {
		must(t, err)
		if !strings.HasPrefix(s.Key, "many/") {
			t.Fatalf("sample %q", s.Key)
		}
		if n++; n == 3 {
			break // abandons the query: its other replies are dropped
		}
	}
	// The client carries on; the abandoned replies reach nobody.
	got, err := f.cli.Get(ctx, "many/**")
	must(t, err)
	if len(got) != 300 || got[0].Key != "many/000" || got[299].Key != "many/299" {
		t.Fatalf("got %d samples, from %q", len(got), got[0].Key)
	}
	// Errors come last, as the error of the sequence.
	var last error
	for _, err := range f.cli.GetSeq(ctx, "a//b") {
		last = err
	}
	wantStatus(t, last, proto.StatusInvalidKeyExpr)
}

func TestClientClose(t *testing.T) {
	g := newGated()
	f := start(t, setup{opts: Options{Storages: []Storage{{Name: "s", KeyExpr: "**", Store: g}}}})
	ctx := testCtx(t)
	cli := f.client(t)
	errs := make(chan error, 1)
	go func() { _, err := cli.Get(ctx, "x/**"); errs <- err }()
	<-g.entered
	must(t, cli.Close())
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Fatalf("a call in progress got %v, want ErrClosed", err)
	}
	if err := cli.Put(ctx, "k", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	must(t, cli.Close()) // idempotent
	close(g.release)
}

func TestClientWithoutServerTimesOut(t *testing.T) {
	f := startOne(t)
	// A port nobody listens on: the request fails at once with the cause
	// (issue 21); with WaitForServer it waits for a connection until the
	// client's timeout.
	cli, err := store.Connect("tcp://127.0.0.1:1", store.ClientOptions{Ctx: f.zctx, Logger: quiet, Timeout: 100 * time.Millisecond})
	must(t, err)
	defer cli.Close()
	err = cli.Put(context.Background(), "k", []byte("v"))
	if !errors.Is(err, store.ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want connection refused, not the timeout", err)
	}
	waiting, err := store.Connect("tcp://127.0.0.1:1", store.ClientOptions{Ctx: f.zctx, Logger: quiet, Timeout: 100 * time.Millisecond, WaitForServer: true})
	must(t, err)
	defer waiting.Close()
	err = waiting.Put(context.Background(), "k", []byte("v"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline after 100ms", err)
	}
	if _, err := store.Connect("bogus://x", store.ClientOptions{Ctx: f.zctx}); err == nil {
		t.Fatal("Connect to a bad endpoint succeeded")
	}
}

func TestInfoDescribesTheServer(t *testing.T) {
	st := mem("demo", "demo/**", "demo")
	st.ReadOnly = true
	f := start(t, setup{feed: true, opts: Options{Storages: []Storage{st, mem("all", "**", "")}}})
	info, err := f.cli.Info(testCtx(t))
	must(t, err)
	want := []store.StorageInfo{
		{Name: "demo", KeyExpr: "demo/**", StripPrefix: "demo", Volume: "memory", ReadOnly: true},
		{Name: "all", KeyExpr: "**", Volume: "memory"},
	}
	if info.ID != f.srv.Clock().ID().String() || info.Protocol != proto.Version ||
		!slices.Equal(info.Endpoints, []string{f.ep}) || !slices.Equal(info.Feed, []string{f.feed}) ||
		!slices.Equal(info.Storages, want) {
		t.Fatalf("info %+v", info)
	}
	// The admin key is out of reach of user queries.
	f.wantKV("**")
	if got, err := f.cli.Get(testCtx(t), "@zmesh/*"); err != nil || len(got) != 1 {
		t.Fatalf("@zmesh/* = %v %v", got, err)
	}
}

// A store.Client can take a socket built from YAML by package config.
func TestNewClientFromConfig(t *testing.T) {
	f := startOne(t)
	var cc config.ClientConfig
	must(t, config.Unmarshal("client.yaml", []byte("connect: ["+f.ep+"]\nrecv_hwm: 100\n"), &cc))
	sock, err := cc.Build(f.zctx)
	must(t, err)
	cli := store.NewClient(sock, store.ClientOptions{Logger: quiet})
	defer cli.Close()
	ctx := testCtx(t)
	must(t, cli.Put(ctx, "from/yaml", []byte("ok")))
	f.wantKV("from/yaml", "from/yaml=ok")
}

// When the sockets' context shuts down, the server's Serve returns with
// the reason and the client's calls fail at once instead of waiting for
// their deadlines.
func TestSocketContextShutdown(t *testing.T) {
	ctx := testCtx(t)
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	sock, ep := storetest.ServerSocket(t, zctx)
	g := newGated()
	srv, err := NewServer(ctx, Options{Socket: sock, Logger: quiet, Storages: []Storage{{Name: "s", KeyExpr: "**", Store: g}}})
	must(t, err)
	defer srv.Close(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet})
	must(t, err)
	defer cli.Close()

	errs := make(chan error, 1)
	go func() { _, err := cli.Get(ctx, "x/**"); errs <- err }()
	<-g.entered
	if err := srv.Serve(ctx); err == nil || errors.Is(err, ErrClosed) {
		t.Fatalf("a second Serve: %v", err)
	}
	zctx.Shutdown()
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Fatalf("a call in progress got %v, want ErrClosed", err)
	}
	if err := cli.Put(ctx, "k", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("a call after the shutdown got %v", err)
	}
	close(g.release)
	if err := <-served; !errors.Is(err, socket.ErrInvalidCtx) {
		t.Fatalf("Serve returned %v, want the socket's ErrInvalidCtx", err)
	}
	if err := srv.Serve(ctx); err == nil {
		t.Fatal("Serve ran a second time")
	}
}
