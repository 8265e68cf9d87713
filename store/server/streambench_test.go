package server

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkStreamedGet reads a 64 MiB value through a real server over tcp
// with the memory backend (store.Client.GetReader): bytes per second, and
// with -benchmem the allocations of client and server together. Its second
// and later gets use the server's cached tree, so they measure the
// transfer, not the server's first hashing pass.
func BenchmarkStreamedGet(b *testing.B) {
	const size = 64 << 20
	f := startOne(b)
	ctx := testCtx(b)
	v := randomValue(size, 64)
	must(b, f.cli.PutReader(ctx, "bench/big", bytes.NewReader(v), size))
	get := func() {
		rc, _, ok, err := f.cli.GetReader(ctx, "bench/big")
		must(b, err)
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		must(b, err)
		if !ok || n != size {
			b.Fatalf("got %d bytes (found %v), want %d", n, ok, size)
		}
	}
	get() // builds and caches the tree
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		get()
	}
}
