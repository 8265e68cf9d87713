// Command zmq4peer is one classic ZeroMQ socket in go-zeromq/zmq4, driven
// line by line on stdin, for zmesh's interop tests. It speaks cpeer's
// command language (internal/interop/cpeer/cpeer.c): bind, connect, send
// SPEC, recv [MS], sub HEX, unsub HEX, sleep MS, quit.
//
// It runs as a subprocess because zmq4 panics on socket types it does not
// know, and so that a zmq4 failure cannot take a zmesh test binary down.
// zmq4 greets with ZMTP 3.0 and sends subscriptions as 01/00 data frames,
// which makes it the suite's ZMTP 3.0 peer. It has NULL and PLAIN (no
// CURVE: zmq4#26); its PLAIN server admits any user.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/plain"
)

var constructors = map[string]func(context.Context, ...zmq4.Option) zmq4.Socket{
	"req": zmq4.NewReq, "rep": zmq4.NewRep, "dealer": zmq4.NewDealer, "router": zmq4.NewRouter,
	"pub": zmq4.NewPub, "sub": zmq4.NewSub, "xpub": zmq4.NewXPub, "xsub": zmq4.NewXSub,
	"push": zmq4.NewPush, "pull": zmq4.NewPull, "pair": zmq4.NewPair,
}

// parseSpec decodes a message written as hex frames joined by ",", "." for
// an empty frame.
func parseSpec(spec string) ([][]byte, error) {
	var frames [][]byte
	for _, f := range strings.Split(spec, ",") {
		if f == "." {
			frames = append(frames, []byte{})
			continue
		}
		b, err := hex.DecodeString(f)
		if err != nil {
			return nil, err
		}
		frames = append(frames, b)
	}
	return frames, nil
}

func formatSpec(frames [][]byte) string {
	parts := make([]string, len(frames))
	for i, f := range frames {
		if len(f) == 0 {
			parts[i] = "."
		} else {
			parts[i] = hex.EncodeToString(f)
		}
	}
	return strings.Join(parts, ",")
}

// sendBlocking sends msg, waiting up to wait for a peer: zmq4's REQ,
// DEALER and PUSH fail at once with no connection where libzmq's block.
func sendBlocking(s zmq4.Socket, msg zmq4.Msg, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := s.Send(msg)
		if err == nil || !strings.Contains(err.Error(), "no connections available") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type result struct {
	msg zmq4.Msg
	err error
}

func main() {
	typ := flag.String("type", "", "socket type")
	rid := flag.String("routing-id", "", "routing id, hex")
	timeout := flag.Int("timeout", 10000, "default recv/send timeout, ms")
	flag.Int("linger", 0, "ignored (zmq4 has no linger)")
	plainServer := flag.String("plain-server", "", "USER:PASS (zmq4 admits any user)")
	plainClient := flag.String("plain-client", "", "USER:PASS")
	flag.String("curve-allow", "", "ignored (zmq4 has no CURVE)")
	flag.CommandLine.SetOutput(os.Stderr)
	flag.CommandLine.Init(os.Args[0], flag.ContinueOnError)
	if err := flag.CommandLine.Parse(os.Args[1:]); err != nil {
		os.Exit(64)
	}
	mk := constructors[*typ]
	if mk == nil {
		fmt.Fprintln(os.Stderr, "zmq4peer: unknown --type", *typ)
		os.Exit(64)
	}
	def := time.Duration(*timeout) * time.Millisecond
	opts := []zmq4.Option{zmq4.WithTimeout(def), zmq4.WithDialerRetry(50 * time.Millisecond)}
	if *rid != "" {
		b, err := hex.DecodeString(*rid)
		if err != nil {
			fmt.Fprintln(os.Stderr, "zmq4peer: --routing-id is not hex")
			os.Exit(64)
		}
		opts = append(opts, zmq4.WithID(zmq4.SocketIdentity(b)))
	}
	for _, up := range []string{*plainServer, *plainClient} {
		if up != "" {
			u, p, _ := strings.Cut(up, ":")
			opts = append(opts, zmq4.WithSecurity(plain.Security(u, p)))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := mk(ctx, opts...)

	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	// One Recv at a time runs in the background, so that "recv MS" can give
	// up (zmq4's Recv has no deadline) and a later recv picks the message up.
	var pending chan result
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<22)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "quit":
			say("bye")
			s.Close()
			return
		case "bind":
			if err := s.Listen(strings.Replace(arg, ":*", ":0", 1)); err != nil {
				say("err bind: %v", err)
				continue
			}
			say("bound tcp://%s", s.Addr())
		case "connect":
			if err := s.Dial(arg); err != nil {
				say("err connect: %v", err)
				continue
			}
			say("ok")
		case "send":
			frames, err := parseSpec(arg)
			if err == nil {
				err = sendBlocking(s, zmq4.NewMsgFrom(frames...), def)
			}
			if err != nil {
				say("err send: %v", err)
				continue
			}
			say("ok")
		case "recv":
			wait := def
			if ms, err := strconv.Atoi(arg); err == nil {
				wait = time.Duration(ms) * time.Millisecond
			}
			if pending == nil {
				pending = make(chan result, 1)
				go func(c chan result) {
					m, err := s.Recv()
					c <- result{m, err}
				}(pending)
			}
			select {
			case r := <-pending:
				pending = nil
				if r.err != nil {
					say("err recv: %v", r.err)
				} else {
					say("msg %s", formatSpec(r.msg.Frames))
				}
			case <-time.After(wait):
				say("timeout")
			}
		case "sub", "unsub":
			topic, err := hex.DecodeString(arg)
			if err == nil {
				switch {
				case *typ == "xsub" && cmd == "sub":
					err = s.Send(zmq4.NewMsg(append([]byte{1}, topic...)))
				case *typ == "xsub":
					err = s.Send(zmq4.NewMsg(append([]byte{0}, topic...)))
				case cmd == "sub":
					err = s.SetOption(zmq4.OptionSubscribe, string(topic))
				default:
					err = s.SetOption(zmq4.OptionUnsubscribe, string(topic))
				}
			}
			if err != nil {
				say("err %s: %v", cmd, err)
				continue
			}
			say("ok")
		case "sleep":
			ms, _ := strconv.Atoi(arg)
			time.Sleep(time.Duration(ms) * time.Millisecond)
			say("ok")
		default:
			say("err unknown command %s", cmd)
		}
	}
	if err := in.Err(); err != nil && !errors.Is(err, os.ErrClosed) {
		fmt.Fprintln(os.Stderr, "zmq4peer: reading commands:", err)
	}
	say("bye")
	s.Close()
}
