package config

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Classic sections decode their options and build working sockets: a
// sub subscribed from YAML receives from a pub, a req talks to a rep.
func TestClassicSections(t *testing.T) {
	c, err := Parse("classic.yaml", []byte(`
pub:
  bind: [inproc://cfg-pub]
  xpub_nodrop: false
sub:
  connect: [inproc://cfg-pub]
  subscribe: [a, ""]
  conflate: false
  recv_hwm: 10
rep:
  bind: [inproc://cfg-rep]
req:
  connect: [inproc://cfg-rep]
  req_correlate: true
  req_relaxed: true
  routing_id: me
  tcp_keepalive: 1
  tcp_keepalive_idle: 30s
sockets:
  r: {router: {router_mandatory: true, router_handover: true, probe_router: true}}
  x: {xpub: {xpub_verbose: true, xpub_welcome_msg: hi, invert_matching: true}}
`))
	must(t, err)
	o := c.Req.Socket
	if !o.ReqCorrelate || !o.ReqRelaxed || string(o.RoutingID) != "me" || o.TCPKeepalive != 1 || o.TCPKeepaliveIdle != 30*time.Second {
		t.Errorf("req options %+v", o)
	}
	if r := c.Sockets["r"].Router; r == nil || !r.Socket.RouterMandatory || !r.Socket.RouterHandover || !r.Socket.ProbeRouter {
		t.Errorf("router %+v", c.Sockets["r"])
	}
	if x := c.Sockets["x"]; x.Type() != "xpub" || string(x.XPub.Socket.XPubWelcome) != "hi" || !x.XPub.Socket.InvertMatching {
		t.Errorf("xpub %+v", x)
	}
	if len(c.Sub.Subscribe) != 2 || c.Sub.Socket.RecvHWM != 10 {
		t.Errorf("sub %+v", c.Sub)
	}
	zctx := newCtx(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, err := c.Pub.Build(zctx)
	must(t, err)
	defer pub.Close()
	sub, err := c.Sub.Build(zctx)
	must(t, err)
	defer sub.Close()
	must(t, pub.SendFrames(ctx, []byte("a"))) // inproc: the subscription is there once connected
	deadline := time.Now().Add(5 * time.Second)
	for {
		must(t, pub.SendFrames(ctx, []byte("b")))
		c2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err := sub.RecvFrames(c2)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing arrived")
		}
	}
	rep, err := c.Rep.Build(zctx)
	must(t, err)
	defer rep.Close()
	req, err := c.Req.Build(zctx)
	must(t, err)
	defer req.Close()
	must(t, req.SendFrames(ctx, []byte("q")))
	q, err := rep.RecvFrames(ctx)
	if err != nil || string(q[0]) != "q" {
		t.Fatalf("rep got %q %v", q, err)
	}
	for _, bad := range []string{
		"req: {routing_id: \"\"}",
		"sub: {subscribe: a}",
		"client: {conflate: true}",
		"req: {tcp_keepalive: 2}",
	} {
		if _, err := Parse("bad.yaml", []byte(bad)); err == nil || !errors.As(err, new(*Error)) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// must fails the test at once if a setup step failed.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
