package server

import (
	"bytes"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/fs"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

// encode encodes m, failing the test if it does not encode.
func encode(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	must(t, err)
	return b
}

// mutate returns a copy of b with f applied.
func mutate(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }

// Every kind of bad input gets a FINAL with the right status and a text
// that says what is wrong; the server stays up, a well-behaved client
// working at the same time is not disturbed, and nothing refused reaches
// the disk.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	disk, err := fs.Open(dir)
	must(t, err)
	ro := Storage{Name: "ro", KeyExpr: "ro/**", Store: memory.New(), ReadOnly: true}
	f := start(t, setup{opts: Options{MaxValueSize: 1024, Storages: []Storage{
		{Name: "disk", KeyExpr: "ok/**", Store: disk}, ro,
	}}})
	ctx := testCtx(t)

	put := encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/a", Encoding: "text/plain", Value: []byte("v")})
	future := hlc.Timestamp{Time: time.Now().Add(time.Hour).UnixNano(), Source: hlc.ID{1}}
	longKey := "ok/" + strings.Repeat("x/", backend.MaxKeyLen/2) + "x"
	cases := []struct {
		name   string
		msg    []byte
		status proto.Status
		text   string // a part of the FINAL's text
	}{
		{"invalid key", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok//a", Value: []byte("v")}),
			proto.StatusInvalidKeyExpr, `key "ok//a": empty chunk at byte 3`},
		{"empty key", encode(t, proto.Message{Kind: proto.KindPut, Key: "", Value: []byte("v")}),
			proto.StatusInvalidKeyExpr, "empty chunk"},
		{"key not UTF-8", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/\xff", Value: []byte("v")}),
			proto.StatusInvalidKeyExpr, "UTF-8"},
		{"wildcard put", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/*", Value: []byte("v")}),
			proto.StatusWildcardKey, `key "ok/*" has a wildcard at byte 3; a put needs a plain key`},
		{"double wildcard put", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/**", Value: []byte("v")}),
			proto.StatusWildcardKey, "wildcard"},
		{"sub-chunk wildcard put", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/a$*", Value: []byte("v")}),
			proto.StatusWildcardKey, "wildcard at byte 4"},
		{"truncated", put[:16], proto.StatusMalformed, "PUT: key length at offset 11"},
		{"truncated timestamp", mutate(put, func(b []byte) []byte { b[2] = 1; return b[:len(b)-1] }),
			proto.StatusMalformed, "timestamp"},
		{"unknown version", mutate(put, func(b []byte) []byte { b[0] = 2; return b }),
			proto.StatusVersion, "version 2, this side speaks 1"},
		{"unknown kind", mutate(put, func(b []byte) []byte { b[1] = 0x07; return b }),
			proto.StatusMalformed, "unknown kind 0x07"},
		{"reserved flags", mutate(put, func(b []byte) []byte { b[2] = 0x80; return b }),
			proto.StatusMalformed, "reserved bits"},
		{"value over the limit", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/big", Value: make([]byte, 1025)}),
			proto.StatusTooLarge, "value of 1025 bytes exceeds the server's limit of 1024 bytes"},
		{"key over the limit", encode(t, proto.Message{Kind: proto.KindPut, Key: longKey, Value: []byte("v")}),
			proto.StatusTooLarge, "key of"},
		{"encoding not UTF-8", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/e", Encoding: "\xff", Value: []byte("v")}),
			proto.StatusMalformed, "not valid UTF-8"},
		{"timestamp too far ahead", encode(t, proto.Message{Kind: proto.KindPut, Key: "ok/f", Timestamp: future, Value: []byte("v")}),
			proto.StatusTimestampDrift, "ahead of the local clock"},
		{"read-only", encode(t, proto.Message{Kind: proto.KindPut, Key: "ro/x", Value: []byte("v")}),
			proto.StatusReadOnly, `storage "ro", which holds "ro/x", is read-only`},
		{"no storage", encode(t, proto.Message{Kind: proto.KindPut, Key: "elsewhere", Value: []byte("v")}),
			proto.StatusNoStorage, `no storage holds "elsewhere"`},
		{"invalid query", encode(t, proto.Message{Kind: proto.KindQuery, Key: "ok/a?b"}),
			proto.StatusInvalidKeyExpr, `"#" or "?"`},
		{"non-canonical query", encode(t, proto.Message{Kind: proto.KindQuery, Key: "ok/**/**"}),
			proto.StatusInvalidKeyExpr, `"**/**" must be written "**"`},
		{"invalid delete", encode(t, proto.Message{Kind: proto.KindDelete, Key: "ok/a*"}),
			proto.StatusInvalidKeyExpr, "key expression"},
		{"query of no storage", encode(t, proto.Message{Kind: proto.KindQuery, Key: "elsewhere/**"}),
			proto.StatusNoStorage, "no storage intersects"},
		{"a REPLY sent to the server", encode(t, proto.Message{Kind: proto.KindReply, Key: "ok/a", Timestamp: future}),
			proto.StatusUnsupported, "a REPLY message is not a request"},
		{"a FINAL sent to the server", encode(t, proto.Message{Kind: proto.KindFinal}),
			proto.StatusUnsupported, "FINAL"},
		{"a SAMPLE sent to the server", encode(t, proto.Message{Kind: proto.KindSample, Key: "ok/a", Timestamp: future}),
			proto.StatusUnsupported, "SAMPLE"},
	}

	raw, err := patterns.NewClient(f.zctx, socket.Options{})
	must(t, err)
	defer raw.Close()
	must(t, raw.Connect(f.ep))

	// A well-behaved client works throughout.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprintf("ok/good/%d", i%50)
			if err := f.cli.Put(ctx, key, []byte(key)); err != nil {
				t.Errorf("a good put failed during the bad input: %v", err)
				return
			}
			got, err := f.cli.Get(ctx, key)
			if err != nil || len(got) != 1 || string(got[0].Value) != key {
				t.Errorf("a good get failed during the bad input: %v %v", got, err)
				return
			}
		}
	})

	for round := range 5 {
		for i, c := range cases {
			id := uint64(round*1000 + i + 1)
			msg := bytes.Clone(c.msg)
			copy(msg[3:11], encode(t, proto.Message{Kind: proto.KindFinal, ID: id})[3:11]) // set the request id
			// A message too short to carry a request id is dropped
			// without an answer: the next answer is for the next request.
			must(t, raw.Send(ctx, []byte{1, 1, 0, 0, 0}))
			must(t, raw.Send(ctx, msg))
			m, err := raw.Recv(ctx)
			must(t, err)
			ans, err := proto.Decode(m.Body)
			must(t, err)
			if ans.Kind != proto.KindFinal || ans.ID != id || ans.Count != 0 {
				t.Fatalf("%s: answer %v id %d count %d, want a FINAL for %d", c.name, ans.Kind, ans.ID, ans.Count, id)
			}
			if ans.Status != c.status || !strings.Contains(ans.Text, c.text) {
				t.Errorf("%s: status %v %q, want %v with %q", c.name, ans.Status, ans.Text, c.status, c.text)
			}
		}
	}
	close(stop)
	wg.Wait()

	// The server still works, and the disk holds the good keys only, as
	// whole entry files.
	must(t, f.cli.Put(ctx, "ok/after", []byte("fine")))
	if got := f.getKV("ok/after"); len(got) != 1 {
		t.Fatalf("the server stopped answering: %q", got)
	}
	stored := entries(t, disk)
	for k := range stored {
		if !strings.HasPrefix(k, "ok/good/") && k != "ok/after" {
			t.Errorf("a refused write reached the disk: %q", k)
		}
	}
	files := 0
	must(t, filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == ".lock" {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("a temporary file was left behind: %s", p)
		}
		files++
		return nil
	}))
	if files != len(stored) {
		t.Errorf("%d files on disk for %d stored keys", files, len(stored))
	}
	if st := f.srv.Stats(); st.Failed < uint64(5*len(cases)) {
		t.Errorf("stats count %d failed requests, want at least %d", st.Failed, 5*len(cases))
	}
}
