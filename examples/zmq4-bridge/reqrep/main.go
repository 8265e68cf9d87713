// Command reqrep is a request-reply program written for go-zeromq/zmq4:
// a REP server answering three requests of a REQ client, both in this
// process over tcp. Its only change from the zmq4 program is the import
// path; the test beside it builds it both ways and compares the output.
package main

import (
	"context"
	"fmt"
	"log"

	zmq "github.com/zmesh/zmesh/compat/zmq4"
)

func main() {
	ctx := context.Background()

	rep := zmq.NewRep(ctx)
	defer rep.Close()
	if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
		log.Fatalf("could not listen: %v", err)
	}
	endpoint := "tcp://" + rep.Addr().String()

	served := make(chan error, 1)
	go func() {
		for i := 0; i < 3; i++ {
			msg, err := rep.Recv()
			if err != nil {
				served <- err
				return
			}
			reply := zmq.NewMsgFrom([]byte("World"), msg.Frames[1])
			if err := rep.Send(reply); err != nil {
				served <- err
				return
			}
		}
		served <- nil
	}()

	req := zmq.NewReq(ctx)
	defer req.Close()
	if err := req.Dial(endpoint); err != nil {
		log.Fatalf("could not dial: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := req.Send(zmq.NewMsgFrom([]byte("Hello"), []byte(fmt.Sprint(i)))); err != nil {
			log.Fatalf("could not send: %v", err)
		}
		msg, err := req.Recv()
		if err != nil {
			log.Fatalf("could not receive: %v", err)
		}
		fmt.Printf("received %s %s\n", msg.Frames[0], msg.Frames[1])
	}
	if err := <-served; err != nil {
		log.Fatalf("server: %v", err)
	}
}
