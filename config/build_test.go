package config

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func newCtx(t *testing.T) *socket.Ctx {
	t.Helper()
	c := socket.NewCtx(nil)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// lastEndpoint returns the endpoint s last bound.
func lastEndpoint(t *testing.T, s interface{ LastEndpoint() (string, error) }) string {
	t.Helper()
	ep, err := s.LastEndpoint()
	if err != nil || ep == "" {
		t.Fatalf("no bound endpoint: %q, %v", ep, err)
	}
	return ep
}

// roundTrip sends ping from cli and answers pong from srv.
func roundTrip(t *testing.T, cli *patterns.Client, srv *patterns.Server) patterns.Msg {
	t.Helper()
	ctx := testCtx(t)
	if err := cli.Send(ctx, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	m, err := srv.Recv(ctx)
	if err != nil || string(m.Body) != "ping" {
		t.Fatalf("server got %q, %v", m.Body, err)
	}
	if err := srv.Route(ctx, []byte("pong"), m.RoutingID); err != nil {
		t.Fatal(err)
	}
	r, err := cli.Recv(ctx)
	if err != nil || string(r.Body) != "pong" {
		t.Fatalf("client got %q, %v", r.Body, err)
	}
	return m
}

func TestBuildSetsOptionsThenConnectsAndBinds(t *testing.T) {
	c := mustParse(t, `
server:
  bind: [inproc://build]
  send_hwm: 7
  recv_hwm: 0
  send_timeout: 1s
  heartbeat: {interval: 1s, timeout: 2s, ttl: 5s}
  linger: 250ms
  max_msg_size: 4096
  send_hwm_bytes: 1048576
  recv_hwm_bytes: 0
  max_connections_per_address: 3
client:
  connect: [inproc://build]
  recv_timeout: 2s
  mechanism: "null"
`)
	zctx := newCtx(t)
	srv, err := c.Server.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := c.Client.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, cli, srv)
	o := srv.Options()
	if o.SendHWM != 7 || o.RecvHWM != 0 /* unlimited */ || o.SendTimeout != time.Second || o.Linger != 250*time.Millisecond || o.MaxMsgSize != 4096 ||
		o.Heartbeat != (socket.Heartbeat{Interval: time.Second, Timeout: 2 * time.Second, TTL: 5 * time.Second}) ||
		o.SendHWMBytes != 1<<20 || o.RecvHWMBytes != 0 /* unlimited */ || o.MaxConnectionsPerAddress != 3 {
		t.Errorf("server options %+v", o)
	}
	if ep, err := srv.LastEndpoint(); err != nil || ep != "inproc://build" {
		t.Errorf("server endpoint %q, %v", ep, err)
	}
	if o := cli.Options(); o.RecvTimeout != 2*time.Second || o.SendHWM != socket.DefaultHWM || o.Mechanism != (mechanism.Null{}) ||
		o.SendHWMBytes != socket.DefaultHWMBytes || o.RecvHWMBytes != socket.DefaultHWMBytes {
		t.Errorf("client options %+v", o)
	}
}

func TestBuildEverySocketType(t *testing.T) {
	c := mustParse(t, `
sockets:
  feed:    {radio: {bind: [inproc://feed], no_drop: true}}
  reader:  {dish: {connect: [inproc://feed], groups: [weather]}}
  jobs:    {scatter: {bind: [inproc://jobs]}}
  worker:  {gather: {connect: [inproc://jobs], recv_timeout: 5s}}
`)
	zctx := newCtx(t)
	ctx := testCtx(t)
	r, err := c.Sockets["feed"].Radio.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Sockets["reader"].Dish.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Joined(); len(got) != 1 || got[0] != "weather" {
		t.Fatalf("joined %v", got)
	}
	// Transmit until the radio has seen the dish's JOIN (inproc is quick,
	// but the join travels as a command).
	for {
		if err := r.Transmit(ctx, []byte("rain"), "weather"); err != nil {
			t.Fatal(err)
		}
		if m, err := d.TryRecv(); err == nil {
			if m.Group != "weather" || string(m.Body) != "rain" {
				t.Fatalf("dish got %q in %q", m.Body, m.Group)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	s, err := c.Sockets["jobs"].Scatter.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Sockets["worker"].Gather.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, []byte("job")); err != nil {
		t.Fatal(err)
	}
	if m, err := g.Recv(ctx); err != nil || string(m.Body) != "job" {
		t.Fatalf("gather got %q, %v", m.Body, err)
	}
}

func TestBuildFailureClosesTheSocket(t *testing.T) {
	zctx := newCtx(t)
	first := &ServerConfig{Common{Bind: []Endpoint{"inproc://taken"}}}
	if _, err := first.Build(zctx); err != nil {
		t.Fatal(err)
	}
	second := &ServerConfig{Common{Bind: []Endpoint{"inproc://taken"}}}
	s, err := second.Build(zctx)
	if !errors.Is(err, socket.ErrAddrInUse) || s != nil {
		t.Fatalf("second bind: %v, %v", s, err)
	}
	if !strings.HasPrefix(err.Error(), "config: server: bind inproc://taken: ") {
		t.Errorf("error %q does not say what failed", err)
	}
	// Go-built configs are checked by the socket.
	bad := &ClientConfig{Common{Connect: []Endpoint{"tcp://nowhere"}}}
	if _, err := bad.Build(zctx); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("bad endpoint: %v", err)
	}
	if _, err := (&ClientConfig{Common{Socket: socket.Options{SendTimeout: -1}}}).Build(zctx); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("negative timeout: %v", err)
	}
	if _, err := (&DishConfig{Groups: []string{"a", "a"}}).Build(zctx); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("repeated group: %v", err)
	}
}

// refused connects a client built from c's options to ep, and waits for
// its monitor to report a failed handshake. (The monitor is taken before
// connecting, so no event is missed.)
func refused(t *testing.T, zctx *socket.Ctx, c *ClientConfig, ep string) socket.Event {
	t.Helper()
	o, err := c.Options()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := patterns.NewClient(zctx, o)
	if err != nil {
		t.Fatal(err)
	}
	mon := cli.Monitor()
	if err := cli.Connect(ep); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-mon:
			if !ok {
				t.Fatal("monitor closed")
			}
			if e.Type == socket.EventHandshakeFailed {
				return e
			}
		case <-timeout:
			t.Fatal("no handshake-failed event")
		}
	}
}

func TestBuildCurveWithTheFilesAuth(t *testing.T) {
	c, err := Load("testdata/secure_req_rep.yml")
	if err != nil {
		t.Fatal(err)
	}
	zctx := newCtx(t)
	c.Server.Bind = []Endpoint{"tcp://127.0.0.1:*"}
	srv, err := c.Server.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	ep := lastEndpoint(t, srv)
	c.Client.Connect = []Endpoint{Endpoint(ep)}
	cli, err := c.Client.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	m := roundTrip(t, cli, srv)
	if m.Peer == nil || m.Peer.Mechanism != "CURVE" || m.Peer.UserID != clientPublic {
		t.Fatalf("peer %+v", m.Peer)
	}

	// A client whose key is not in curve_registry is refused...
	other := mustParse(t, `
client:
  mechanism:
    curve_client:
      server: "`+serverPublic+`"
      client: {secret: "`+otherSecret+`"}
`)
	e := refused(t, zctx, other.Client, ep)
	if !errors.Is(e.Err, socket.ErrHandshake) {
		t.Fatalf("refusal %v", e)
	}
	// ...until the file's shared authenticator learns it.
	c.Authenticator.AllowKey(pub(t, otherPublic))
	other.Client.Connect = []Endpoint{Endpoint(ep)}
	again, err := other.Client.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := roundTrip(t, again, srv); m.Peer.UserID != otherPublic {
		t.Fatalf("user id %q", m.Peer.UserID)
	}
}

func TestBuildPlainWithTheFilesAuth(t *testing.T) {
	t.Setenv("ZMESH_TEST_PASSWORD", "s3cret")
	c := mustParse(t, `
auth:
  plain_registry: [{username: admin, password: "${ZMESH_TEST_PASSWORD}"}]
server:
  bind: [tcp://127.0.0.1:*]
  mechanism: plain_server
`)
	zctx := newCtx(t)
	srv, err := c.Server.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	ep := lastEndpoint(t, srv)
	good := &ClientConfig{Common{Connect: []Endpoint{Endpoint(ep)}, Socket: socket.Options{Mechanism: mechanism.PlainClient{Username: "admin", Password: "s3cret"}}}}
	cli, err := good.Build(zctx)
	if err != nil {
		t.Fatal(err)
	}
	if m := roundTrip(t, cli, srv); m.Peer.UserID != "admin" {
		t.Fatalf("user id %q", m.Peer.UserID)
	}
	bad := &ClientConfig{Common{Connect: []Endpoint{Endpoint(ep)}, Socket: socket.Options{Mechanism: mechanism.PlainClient{Username: "admin", Password: "guess"}}}}
	refused(t, zctx, bad, ep)
}
