package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/transport"
)

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, and
// must either fail with one single-line *Error or return a configuration
// whose values hold the loader's promises. The seed corpus is in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("server:\n  bind: [tcp://127.0.0.1:*]\n  send_hwm: 10\n"))
	f.Add([]byte("client: {connect: [{tcp: \"127.0.0.1:3000\"}], mechanism: {curve_client: {server: \"" + serverPublic + "\"}}}\n"))
	l := &Loader{LookupEnv: func(name string) (string, bool) {
		if name == "SET" {
			return "tcp://127.0.0.1:5555", true
		}
		return "", false
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := l.Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error: %v", err, err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "fuzz.yaml") {
				t.Fatalf("badly formed error %q", msg)
			}
			return
		}
		check := func(eps []Endpoint) {
			for _, ep := range eps {
				if _, err := transport.ParseEndpoint(string(ep)); err != nil {
					t.Fatalf("loaded a bad endpoint %q: %v", ep, err)
				}
			}
		}
		hwm := func(n int) {
			if n < -1 {
				t.Fatalf("loaded high-water mark %d", n)
			}
		}
		sockets := []*SocketConfig{{Client: c.Client, Server: c.Server, Radio: c.Radio, Dish: c.Dish, Scatter: c.Scatter, Gather: c.Gather}}
		for _, s := range c.Sockets {
			sockets = append(sockets, s)
		}
		for _, s := range sockets {
			if x := s.Client; x != nil {
				check(x.Connect)
				check(x.Bind)
				hwm(x.Socket.SendHWM)
				hwm(x.Socket.RecvHWM)
				if _, err := x.Options(); err != nil {
					t.Fatalf("options of a loaded client: %v", err)
				}
			}
			if x := s.Server; x != nil {
				check(x.Connect)
				check(x.Bind)
				hwm(x.Socket.SendHWM)
				hwm(x.Socket.RecvHWM)
			}
			if x := s.Radio; x != nil {
				check(x.Connect)
				check(x.Bind)
			}
			if x := s.Dish; x != nil {
				check(x.Connect)
				check(x.Bind)
				if len(x.Groups) > 0 && len(x.Groups[0]) > 255 {
					t.Fatal("loaded an oversize group")
				}
			}
		}
	})
}
