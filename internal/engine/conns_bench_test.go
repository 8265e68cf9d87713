package engine_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// BenchmarkConnection measures what `zmesh bench hs` does per round, in
// one process: a new CLIENT connects over tcp to an echoing SERVER,
// completes the handshake, makes one 16-byte round trip and closes. The
// allocations are both ends' together (the server's goroutines run in
// this process too).
func BenchmarkConnection(b *testing.B) {
	secret, err := mechanism.ParseSecretKey("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	if err != nil {
		b.Fatal(err)
	}
	public := mechanism.PublicFromSecret(secret)
	for _, tc := range []struct {
		name     string
		srv, cli func() mechanism.Mechanism
	}{
		{"NULL", func() mechanism.Mechanism { return nil }, func() mechanism.Mechanism { return nil }},
		{"CURVE", func() mechanism.Mechanism { return &mechanism.CurveServer{SecretKey: secret} },
			func() mechanism.Mechanism { return &mechanism.CurveClient{ServerKey: public} }},
		{"NOISE", func() mechanism.Mechanism { return &mechanism.NoiseServer{SecretKey: secret} },
			func() mechanism.Mechanism { return &mechanism.NoiseClient{ServerKey: public} }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchConnections(b, socket.Options{Mechanism: tc.srv()}, socket.Options{Mechanism: tc.cli(), Linger: -1})
		})
	}
}

func benchConnections(b *testing.B, srvOpts, cliOpts socket.Options) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, err := patterns.NewServer(zctx, srvOpts)
	must(b, err)
	defer srv.Close()
	must(b, srv.Bind("tcp://127.0.0.1:*"))
	ep, err := srv.LastEndpoint()
	must(b, err)
	echoed := make(chan error, 1)
	go func() {
		for {
			m, err := srv.Recv(ctx)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					err = nil
				}
				echoed <- err
				return
			}
			if err := srv.Route(ctx, m.Body, m.RoutingID); err != nil && !errors.Is(err, socket.ErrHostUnreachable) {
				echoed <- err
				return
			}
		}
	}()
	body := []byte("0123456789abcdef")
	one := func() error {
		cli, err := patterns.NewClient(zctx, cliOpts)
		if err != nil {
			return err
		}
		defer cli.Close()
		if err := cli.Connect(ep); err != nil {
			return err
		}
		if err := cli.Send(ctx, body); err != nil {
			return err
		}
		m, err := cli.Recv(ctx)
		if err != nil {
			return err
		}
		defer m.Release()
		if !bytes.Equal(m.Body, body) {
			return errors.New("the echo differs from what was sent")
		}
		return nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := one(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
	cancel()
	if err := <-echoed; err != nil {
		b.Fatal(err)
	}
}
