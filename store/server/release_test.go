package server

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/zmesh/zmesh/internal/bodypool"
)

// A request's body goes back to the socket's pools once the request is
// answered (request.done), so a server taking puts of 4 KiB values over
// tcp reuses the bodies it receives them in: far fewer than one body is
// allocated per put (the pools still drop some: the garbage collector
// empties them, and under the race detector they drop a quarter of what
// they get). Fails if the server keeps the bodies: one new body per put.
func TestRequestBodiesGoBackToThePool(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	val := bytes.Repeat([]byte("v"), 4000)
	put := func(n int) {
		for i := range n {
			must(t, f.cli.Put(ctx, fmt.Sprintf("k/%d", i%100), val))
		}
	}
	put(300) // the pools fill
	const n = 3000
	before := bodypool.Misses()
	put(n)
	allocated := bodypool.Misses() - before
	t.Logf("%d bodies allocated for %d puts", allocated, n)
	if allocated > n/2 {
		t.Fatalf("%d bodies allocated for %d puts of 4000 bytes: the server does not give request bodies back", allocated, n)
	}
}
