package server

import (
	"strconv"
	"testing"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/proto"
)

// Requests sent without waiting for their answers to a server whose
// storages are all in memory (whose workers take what is queued together,
// see takeQueued) are each answered once, and the writes the server
// stamps keep their order: the last PUT of a key sent wins.
func TestPipelinedRequestsInMemory(t *testing.T) {
	f := start(t, setup{opts: Options{Workers: 2, Storages: []Storage{mem("m", "p/**", "")}}})
	if !f.srv.cur.Load().inMemory {
		t.Fatal("a view of one memory storage is not inMemory")
	}
	ctx := testCtx(t)
	raw, err := patterns.NewClient(f.zctx, socket.Options{})
	must(t, err)
	defer raw.Close()
	must(t, raw.Connect(f.ep))
	const n = 2000
	for round := range 3 {
		for i := range n {
			id := uint64(round*n + i + 1)
			var m proto.Message
			switch i % 4 {
			case 3:
				m = proto.Message{Kind: proto.KindQuery, ID: id, Key: "p/k", AcceptLast: true}
			default:
				m = proto.Message{Kind: proto.KindPut, ID: id, Key: "p/k", Value: []byte(strconv.Itoa(i))}
			}
			must(t, raw.Send(ctx, encode(t, m)))
		}
		seen := map[uint64]bool{}
		for len(seen) < n {
			m, err := raw.Recv(ctx)
			must(t, err)
			a, err := proto.Decode(m.Body)
			must(t, err)
			if a.Kind == proto.KindReply && !a.Last {
				continue // a REPLY then its FINAL cannot come here: every query is of one key, with L
			}
			if seen[a.ID] {
				t.Fatalf("request %d answered twice", a.ID)
			}
			if a.Kind == proto.KindFinal && a.Status != proto.StatusOK {
				t.Fatalf("request %d: %v", a.ID, a.Err())
			}
			seen[a.ID] = true
		}
		got := f.getKV("p/k")
		if want := "p/k=" + strconv.Itoa(n-2); len(got) != 1 || got[0] != want {
			t.Fatalf("round %d: after %d pipelined puts: %v, want %s", round, n, got, want)
		}
	}
}
