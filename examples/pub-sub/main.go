// Command pub-sub is ZeroMQ's classic publish-subscribe with zmesh's PUB
// and SUB: the publisher sends weather updates "ZIP TEMPERATURE", the
// subscriber subscribes to one zip code (a prefix) and averages what it
// gets. The PUB filters: updates for other zip codes never leave it.
//
//	go run ./examples/pub-sub                                   # both sides, here
//	go run ./examples/pub-sub --bind tcp://127.0.0.1:5556       # the publisher only
//	go run ./examples/pub-sub --connect tcp://127.0.0.1:5556 --zip 10001
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() {
	bind := flag.String("bind", "", "run only the publisher, bound here")
	connect := flag.String("connect", "", "run only the subscriber, connected here")
	zip := flag.String("zip", "10001", "the zip code to subscribe to")
	count := flag.Int("count", 5, "updates the subscriber averages")
	flag.Parse()
	cmdline.Main("pub-sub", 0, func(ctx context.Context) error {
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		if *connect != "" {
			return subscribe(ctx, zctx, *connect, *zip, *count)
		}
		ep := *bind
		if ep == "" {
			ep = "tcp://127.0.0.1:*"
		}
		pub, err := patterns.NewPub(zctx, socket.Options{})
		if err != nil {
			return err
		}
		if err := pub.Bind(ep); err != nil {
			return err
		}
		bound, _ := pub.LastEndpoint()
		fmt.Println("publisher: bound", bound)
		if *bind != "" {
			return publish(ctx, pub)
		}
		// Both sides here: publish until the subscriber has its updates.
		pctx, stop := context.WithCancel(ctx)
		published := make(chan error, 1)
		go func() { published <- publish(pctx, pub) }()
		err = subscribe(ctx, zctx, bound, *zip, *count)
		stop()
		if perr := <-published; err == nil {
			err = perr
		}
		return err
	})
}

// publish sends an update for a random zip code every 100 µs until ctx
// ends. A PUB drops what no subscriber wants, and (at the high-water mark)
// what a slow subscriber cannot take: it never blocks.
func publish(ctx context.Context, pub *patterns.Pub) error {
	tick := time.NewTicker(100 * time.Microsecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		zip := 10000 + rand.IntN(4)
		update := fmt.Appendf(nil, "%05d %d", zip, rand.IntN(60)-20)
		if err := pub.SendFrames(ctx, update); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
}

// subscribe receives count updates for zip and prints their average. The
// subscription is a prefix: "10001 " (with the space) so that zip 100011
// would not match.
func subscribe(ctx context.Context, zctx *socket.Ctx, ep, zip string, count int) error {
	sub, err := patterns.NewSub(zctx, socket.Options{})
	if err != nil {
		return err
	}
	defer sub.Close()
	if err := sub.Subscribe([]byte(zip + " ")); err != nil {
		return err
	}
	if err := sub.Connect(ep); err != nil {
		return err
	}
	total := 0
	for i := 0; i < count; i++ {
		m, err := sub.RecvFrames(ctx)
		if err != nil {
			return err
		}
		_, temp, _ := bytes.Cut(m[0], []byte(" "))
		t, err := strconv.Atoi(string(temp))
		if err != nil {
			return fmt.Errorf("update %q: %w", m[0], err)
		}
		total += t
	}
	fmt.Printf("subscriber: %d updates for zip %s, average temperature %.1f\n", count, zip, float64(total)/float64(count))
	return nil
}
