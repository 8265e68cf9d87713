package server

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
)

// randomValue returns n pseudo-random bytes.
func randomValue(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestStreamedPutAndGet(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	for _, n := range []int{0, 5, 1 << 20, 1<<20 + 1, 5<<20 + 12345} {
		v := randomValue(n, uint64(n))
		must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(v), int64(n)))
		rc, info, ok, err := f.cli.GetReader(ctx, "big/v")
		must(t, err)
		if !ok {
			t.Fatalf("%d bytes: not found", n)
		}
		got, err := io.ReadAll(rc)
		must(t, err)
		rc.Close()
		if !bytes.Equal(got, v) {
			t.Fatalf("%d bytes: got %d bytes back, different", n, len(got))
		}
		if info.Size != int64(n) || info.Hash != [32]byte(vstream.Sum(v)) {
			t.Fatalf("%d bytes: info %+v", n, info)
		}
		// A plain get of a value over one chunk but within the message
		// limit still works.
		samples, err := f.cli.Get(ctx, "big/v")
		must(t, err)
		if len(samples) != 1 || !bytes.Equal(samples[0].Value, v) {
			t.Fatalf("%d bytes: plain get gave %d samples", n, len(samples))
		}
	}
	_, _, ok, err := f.cli.GetReader(ctx, "big/none")
	must(t, err)
	if ok {
		t.Fatal("a missing key was found")
	}
}

func TestStreamedPutOverLimits(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("s", "**", "")}, MaxStreamSize: 3 << 20}})
	ctx := testCtx(t)
	v := randomValue(4<<20, 1)
	err := f.cli.PutReader(ctx, "big/v", bytes.NewReader(v), int64(len(v)))
	wantStatus(t, err, proto.StatusTooLarge)
	if !bytes.Contains([]byte(err.Error()), []byte("3145728")) {
		t.Fatalf("the refusal does not name the limit: %v", err)
	}
	// A reader shorter than its declared size is caught before sending.
	err = f.cli.PutReader(ctx, "big/v", bytes.NewReader(v[:100]), 200)
	if err == nil {
		t.Fatal("a short reader was accepted")
	}
	f.wantKV("big/**")
}
