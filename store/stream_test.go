package store_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/storetest"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

// A streamed reply whose chunk was corrupted on the way is refused by
// GetReader's reader before it hands over the chunk's bytes: the reader
// gives the verified chunks before it, then an error matching
// vstream.ErrCorrupt.
func TestGetReaderRefusesCorruptedChunk(t *testing.T) {
	zctx := socket.NewCtx(storetest.Quiet)
	defer zctx.Close()
	srv, ep := quietServer(t, zctx, nil, nil)
	val := bytes.Repeat([]byte("abcdefghijklmnop"), 3*1024/16+10)
	l, err := vstream.NewLayout(int64(len(val)), 1024)
	if err != nil {
		t.Fatal(err)
	}
	h := vstream.NewHasher(l)
	h.Write(val)
	tree, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	ctx := storetest.Context(t, 0)
	go func() { // a server that corrupts chunk 1; ends when its socket closes
		m, err := srv.Recv(ctx)
		if err != nil {
			return
		}
		q, err := proto.Decode(m.Body)
		if err != nil || !q.Stream {
			t.Errorf("query %+v %v: want flag S", q, err)
			return
		}
		b := proto.Begin{Kind: proto.KindReplyBegin, ID: q.ID, Key: q.Key, Timestamp: hlc.Timestamp{Time: 1},
			Size: uint64(len(val)), ChunkSize: 1024, Root: tree.Root()}
		out, _ := b.AppendBinary(nil)
		srv.Route(ctx, out, m.RoutingID)
		for i := range int64(2) {
			data := bytes.Clone(val[i*1024 : (i+1)*1024])
			if i == 1 {
				data[5] ^= 0x20
			}
			proof, _ := tree.Proof(nil, i, i == 0)
			c := proto.Chunk{Kind: proto.KindReplyChunk, ID: q.ID, Index: uint64(i), Proof: proof, Data: data}
			out, _ := c.AppendBinary(nil)
			srv.Route(ctx, out, m.RoutingID)
		}
	}()
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Timeout: 10 * time.Second, Logger: storetest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	rc, info, ok, err := cli.GetReader(ctx, "k")
	if err != nil || !ok || info.Size != int64(len(val)) || info.Hash != [32]byte(tree.Root()) {
		t.Fatalf("GetReader: %v %v %+v", ok, err, info)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if !errors.Is(err, vstream.ErrCorrupt) {
		t.Fatalf("read %d bytes, error %v: want vstream.ErrCorrupt", len(got), err)
	}
	if !bytes.Equal(got, val[:1024]) {
		t.Fatalf("the reader gave %d bytes before the corrupted chunk, want the 1024 verified", len(got))
	}
}
