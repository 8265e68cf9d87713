package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

// A server that does not speak QUERY's flag L refuses it with MALFORMED,
// as a version-1 decoder refuses any reserved flag bit: the Client asks
// again without L, and from then on sends its queries without it. A
// server that does speak it may end the answer with a REPLY with L,
// which the Client takes as the end of the answer.
func TestClientFallsBackWithoutLastFlag(t *testing.T) {
	for _, speaksL := range []bool{false, true} {
		zctx := socket.NewCtx(nil)
		srv, ep := quietServer(t, zctx, nil, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var flagged, plain int
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				m, err := srv.Recv(ctx)
				if err != nil {
					return
				}
				q, err := proto.Decode(m.Body)
				if err != nil || q.Kind != proto.KindQuery {
					t.Errorf("server got %+v, %v; want a QUERY", q, err)
					return
				}
				route := func(a proto.Message) {
					b, err := a.MarshalBinary()
					if err == nil {
						err = srv.Route(ctx, b, m.RoutingID)
					}
					if err != nil {
						t.Errorf("answer: %v", err)
					}
				}
				reply := proto.Message{Kind: proto.KindReply, ID: q.ID, Key: q.Key, Value: []byte("v"),
					Timestamp: hlc.Timestamp{Time: 1}}
				switch {
				case q.AcceptLast && !speaksL:
					flagged++
					route(proto.Message{Kind: proto.KindFinal, ID: q.ID, Status: proto.StatusMalformed,
						Text: "malformed storage protocol message: QUERY: flags at offset 2: reserved bits 0x08 set"})
				case q.AcceptLast:
					flagged++
					reply.Last = true
					route(reply)
				default:
					plain++
					route(reply)
					route(proto.Message{Kind: proto.KindFinal, ID: q.ID, Count: 1})
				}
			}
		})
		cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			got, err := cli.Get(ctx, "a/b")
			if err != nil || len(got) != 1 || got[0].Key != "a/b" || string(got[0].Value) != "v" {
				t.Fatalf("server speaks L %v: Get = %+v, %v", speaksL, got, err)
			}
		}
		cli.Close()
		cancel()
		wg.Wait()
		zctx.Close()
		if speaksL && (flagged != 3 || plain != 0) || !speaksL && (flagged != 1 || plain != 3) {
			t.Fatalf("server speaks L %v: %d queries with L, %d without", speaksL, flagged, plain)
		}
	}
}
