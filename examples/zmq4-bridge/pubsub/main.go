// Command pubsub is a publish-subscribe program written for
// go-zeromq/zmq4: a PUB sends weather and sport updates, a SUB subscribed
// to weather only prints three of them, both in this process over tcp. Its
// only change from the zmq4 program is the import path; the test beside it
// builds it both ways and compares the output.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	zmq "github.com/zmesh/zmesh/compat/zmq4"
)

func main() {
	ctx := context.Background()

	pub := zmq.NewPub(ctx)
	defer pub.Close()
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		log.Fatalf("could not listen: %v", err)
	}

	sub := zmq.NewSub(ctx)
	defer sub.Close()
	if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
		log.Fatalf("could not dial: %v", err)
	}
	if err := sub.SetOption(zmq.OptionSubscribe, "weather"); err != nil {
		log.Fatalf("could not subscribe: %v", err)
	}

	// Publish until the subscriber has had enough: a subscription takes a
	// moment to reach the publisher, and what it sends before is not for
	// this subscriber.
	stop := make(chan struct{})
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			_ = pub.Send(zmq.NewMsgFrom([]byte("sport"), []byte(fmt.Sprint("score ", i))))
			_ = pub.Send(zmq.NewMsgFrom([]byte("weather"), []byte(fmt.Sprint("sunny ", i))))
		}
	}()

	for i := 0; i < 3; i++ {
		msg, err := sub.Recv()
		if err != nil {
			log.Fatalf("could not receive: %v", err)
		}
		fmt.Printf("received a %s update\n", msg.Frames[0])
	}
	close(stop)
	<-published
}
