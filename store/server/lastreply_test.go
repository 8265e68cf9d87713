package server

import (
	"testing"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/proto"
)

// A QUERY with flag L of one stored key is answered with one REPLY that
// ends the answer (flag L), and nothing after it; the same QUERY without
// L, or a query answered with anything but exactly one REPLY, ends with a
// FINAL as before.
func TestQueryAcceptLast(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("m", "demo/**", "")}}})
	ctx := testCtx(t)
	must(t, f.cli.Put(ctx, "demo/a", []byte("on")))
	must(t, f.cli.Put(ctx, "demo/b", []byte("off")))
	must(t, f.cli.Delete(ctx, "demo/b"))

	raw, err := patterns.NewClient(f.zctx, socket.Options{})
	must(t, err)
	defer raw.Close()
	must(t, raw.Connect(f.ep))
	// ask sends q and returns the answer's messages up to the one that
	// ends it (a FINAL, or a REPLY with L).
	ask := func(q proto.Message) []proto.Message {
		t.Helper()
		must(t, raw.Send(ctx, encode(t, q)))
		var out []proto.Message
		for {
			m, err := raw.Recv(ctx)
			must(t, err)
			a, err := proto.Decode(m.Body)
			must(t, err)
			if a.ID != q.ID {
				t.Fatalf("answer to id %d, want %d", a.ID, q.ID)
			}
			out = append(out, a)
			if a.Kind == proto.KindFinal || a.Last {
				return out
			}
		}
	}

	got := ask(proto.Message{Kind: proto.KindQuery, ID: 1, Key: "demo/a", AcceptLast: true})
	if len(got) != 1 || got[0].Kind != proto.KindReply || !got[0].Last || string(got[0].Value) != "on" || got[0].Key != "demo/a" {
		t.Fatalf("QUERY with L of one key: %+v, want one REPLY with L", got)
	}
	got = ask(proto.Message{Kind: proto.KindQuery, ID: 2, Key: "demo/a"})
	if len(got) != 2 || got[0].Kind != proto.KindReply || got[0].Last || got[1].Kind != proto.KindFinal || got[1].Count != 1 || got[1].Status != proto.StatusOK {
		t.Fatalf("QUERY without L: %+v, want REPLY then FINAL count 1", got)
	}
	for id, key := range map[uint64]string{3: "demo/b", 4: "demo/none", 5: "demo/*"} {
		got = ask(proto.Message{Kind: proto.KindQuery, ID: id, Key: key, AcceptLast: true})
		last := got[len(got)-1]
		if last.Kind != proto.KindFinal || last.Status != proto.StatusOK || last.Count != uint32(len(got)-1) {
			t.Fatalf("QUERY with L of %q: %+v, want REPLYs then an OK FINAL counting them", key, got)
		}
		for _, r := range got[:len(got)-1] {
			if r.Last {
				t.Fatalf("QUERY with L of %q: a REPLY with L before the FINAL: %+v", key, got)
			}
		}
	}
	// Errors come in a FINAL.
	got = ask(proto.Message{Kind: proto.KindQuery, ID: 6, Key: "other/a", AcceptLast: true})
	if len(got) != 1 || got[0].Status != proto.StatusNoStorage {
		t.Fatalf("QUERY with L of a key no storage holds: %+v, want a NO_STORAGE FINAL", got)
	}
	// The answer ended by a REPLY counts as a request answered OK.
	st := f.srv.Stats()
	if st.Requests != 9 || st.Failed != 1 {
		t.Fatalf("stats after 3 writes and 6 queries (1 refused): %+v", st)
	}
	// The admin key answers with its REPLY then a FINAL.
	got = ask(proto.Message{Kind: proto.KindQuery, ID: 7, Key: store.AdminKey, AcceptLast: true})
	if len(got) != 2 || got[0].Last || got[1].Kind != proto.KindFinal || got[1].Count != 1 {
		t.Fatalf("QUERY with L of the admin key: %+v, want REPLY then FINAL count 1", got)
	}
	if _, err := f.cli.Info(ctx); err != nil {
		t.Fatal(err)
	}
	// The Client sets L and takes both endings.
	samples, err := f.cli.Get(ctx, "demo/a")
	must(t, err)
	if len(samples) != 1 || string(samples[0].Value) != "on" {
		t.Fatalf("Get demo/a: %+v", samples)
	}
	samples, err = f.cli.Get(ctx, "demo/*")
	must(t, err)
	if len(samples) != 1 || samples[0].Key != "demo/a" {
		t.Fatalf("Get demo/*: %+v", samples)
	}
	if samples, err = f.cli.Get(ctx, "demo/b"); err != nil || len(samples) != 0 {
		t.Fatalf("Get demo/b (deleted): %+v, %v", samples, err)
	}
}
