package patterns

import (
	"bytes"
	"testing"

	"github.com/zmesh/zmesh/internal/interop"
)

// TestReleasedBodiesStayIntact: a server that releases every body it has
// checked gets later bodies from that memory; every message must still
// arrive exactly as sent, over every transport. Over inproc the sender
// keeps resending one slice: releasing it on the receiving side must not
// hand the sender's memory to anyone else.
func TestReleasedBodiesStayIntact(t *testing.T) {
	sizes := []int{0, 16, 1024, 1025, 5000, 65536, 70000, 300000, 1 << 20, (1 << 20) + 1}
	for name, ep := range endpoints(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			srv, err := NewServer(zctx, Options{})
			must(t, err)
			must(t, srv.Bind(ep))
			bound, err := srv.LastEndpoint()
			must(t, err)
			cli, err := NewClient(zctx, Options{})
			must(t, err)
			must(t, cli.Connect(bound))
			fixed := interop.Pattern(7, 70000) // resent as is, every time
			keep := bytes.Clone(fixed)
			errc := make(chan error, 1)
			const rounds = 20
			go func() {
				for r := 0; r < rounds; r++ {
					for i, n := range sizes {
						if err := cli.Send(ctx, interop.Pattern(r*len(sizes)+i, n)); err != nil {
							errc <- err
							return
						}
						if err := cli.Send(ctx, fixed); err != nil {
							errc <- err
							return
						}
					}
				}
				errc <- nil
			}()
			for r := 0; r < rounds; r++ {
				for i, n := range sizes {
					m, err := srv.Recv(ctx)
					must(t, err)
					if !bytes.Equal(m.Body, interop.Pattern(r*len(sizes)+i, n)) {
						t.Fatalf("round %d: the %d-byte message differs", r, n)
					}
					m.Release()
					if m.Body != nil {
						t.Fatal("Release left the body")
					}
					m, err = srv.Recv(ctx)
					must(t, err)
					if !bytes.Equal(m.Body, keep) {
						t.Fatalf("round %d: the resent slice arrived changed", r)
					}
					m.Release()
				}
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fixed, keep) {
				t.Fatal("the sender's slice was overwritten")
			}
		})
	}
}
