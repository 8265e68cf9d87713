package patterns_test

import (
	"context"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// A Rep answers each Req request; the envelope (the empty delimiter) is
// added and removed for you. A libzmq or pyzmq REQ can be the client:
// zmq.Context().socket(zmq.REQ).connect(ep).
func ExampleReq() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	rep, err := patterns.NewRep(zctx, socket.Options{})
	must(err)
	ep := bound(rep)
	req, err := patterns.NewReq(zctx, socket.Options{})
	must(err)
	must(req.Connect(ep))

	must(req.SendFrames(ctx, []byte("ping")))
	q, err := rep.RecvFrames(ctx)
	must(err)
	must(rep.SendFrames(ctx, []byte("pong to"), q[0]))
	a, err := req.RecvFrames(ctx)
	must(err)
	fmt.Printf("%s %s\n", a[0], a[1])
	// Output: pong to ping
}

// A Sub receives the messages whose first frame starts with one of its
// subscriptions; the Pub filters on its side too. Subscriptions travel
// to the publisher asynchronously, so a publisher that must not lose the
// first messages waits for its subscribers (an XPub sees them arrive).
func ExampleSub() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	pub, err := patterns.NewXPub(zctx, socket.Options{})
	must(err)
	ep := bound(pub)
	sub, err := patterns.NewSub(zctx, socket.Options{})
	must(err)
	must(sub.Subscribe([]byte("weather.")))
	must(sub.Connect(ep))

	note, err := pub.RecvFrames(ctx) // 0x01 + "weather.": a new subscriber
	must(err)
	fmt.Printf("subscribed to %s\n", note[0][1:])
	must(pub.SendFrames(ctx, []byte("sports.ski"), []byte("powder")))
	must(pub.SendFrames(ctx, []byte("weather.oslo"), []byte("-3")))
	m, err := sub.RecvFrames(ctx)
	must(err)
	fmt.Printf("%s: %s\n", m[0], m[1])
	// Output:
	// subscribed to weather.
	// weather.oslo: -3
}

// A Push spreads work round-robin over its Pull peers and blocks, never
// drops, when they fall behind. libzmq's perf tools local_thr and
// remote_thr are a PULL and a PUSH.
func ExamplePush() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	pull, err := patterns.NewPull(zctx, socket.Options{})
	must(err)
	ep := bound(pull)
	push, err := patterns.NewPush(zctx, socket.Options{})
	must(err)
	must(push.Connect(ep))

	for i := 1; i <= 3; i++ {
		must(push.SendFrames(ctx, []byte("task"), []byte(fmt.Sprint(i))))
	}
	for i := 0; i < 3; i++ {
		m, err := pull.RecvFrames(ctx)
		must(err)
		fmt.Printf("%s %s\n", m[0], m[1])
	}
	// Output:
	// task 1
	// task 2
	// task 3
}

// A Router knows each peer by its routing id, the first frame of every
// message it receives and sends: here a Dealer that named itself.
func ExampleRouter() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	router, err := patterns.NewRouter(zctx, socket.Options{RouterMandatory: true})
	must(err)
	ep := bound(router)
	dealer, err := patterns.NewDealer(zctx, socket.Options{RoutingID: []byte("worker-1")})
	must(err)
	must(dealer.Connect(ep))

	must(dealer.SendFrames(ctx, []byte("ready")))
	m, err := router.RecvFrames(ctx)
	must(err)
	fmt.Printf("%s says %s\n", m[0], m[1])
	must(router.SendFrames(ctx, m[0], []byte("job 42")))
	job, err := dealer.RecvFrames(ctx)
	must(err)
	fmt.Println(string(job[0]))
	// Output:
	// worker-1 says ready
	// job 42
}

// A request-reply broker: a Router frontend for Req clients, a Dealer
// backend for Rep workers, and a Pair to steer it. With libzmq the same
// broker is zmq_proxy_steerable(frontend, backend, NULL, control).
func ExampleProxySteerable() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	frontend, err := patterns.NewRouter(zctx, socket.Options{})
	must(err)
	must(frontend.Bind("inproc://frontend"))
	backend, err := patterns.NewDealer(zctx, socket.Options{})
	must(err)
	must(backend.Bind("inproc://backend"))
	control, err := patterns.NewPair(zctx, socket.Options{})
	must(err)
	must(control.Bind("inproc://control"))
	done := make(chan error, 1)
	go func() { done <- patterns.ProxySteerable(ctx, frontend, backend, nil, control) }()

	worker, err := patterns.NewRep(zctx, socket.Options{})
	must(err)
	must(worker.Connect("inproc://backend"))
	client, err := patterns.NewReq(zctx, socket.Options{})
	must(err)
	must(client.Connect("inproc://frontend"))

	must(client.SendFrames(ctx, []byte("2+2")))
	q, err := worker.RecvFrames(ctx)
	must(err)
	must(worker.SendFrames(ctx, []byte(string(q[0])+"=4")))
	a, err := client.RecvFrames(ctx)
	must(err)
	fmt.Println(string(a[0]))

	steer, err := patterns.NewPair(zctx, socket.Options{})
	must(err)
	must(steer.Connect("inproc://control"))
	must(steer.SendFrames(ctx, []byte("TERMINATE")))
	fmt.Println(<-done)
	// Output:
	// 2+2=4
	// <nil>
}
