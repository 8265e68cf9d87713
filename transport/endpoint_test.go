package transport

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/net/ipv4"
)

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Endpoint
	}{
		{"tcp://127.0.0.1:5555", Endpoint{Scheme: TCP, Host: "127.0.0.1", Port: 5555}},
		{"tcp://127.0.0.1:*", Endpoint{Scheme: TCP, Host: "127.0.0.1"}},
		{"tcp://127.0.0.1:0", Endpoint{Scheme: TCP, Host: "127.0.0.1"}},
		{"tcp://*:80", Endpoint{Scheme: TCP, Host: "*", Port: 80}},
		{"tcp://[::1]:5555", Endpoint{Scheme: TCP, Host: "::1", Port: 5555}},
		{"tcp://localhost:1", Endpoint{Scheme: TCP, Host: "localhost", Port: 1}},
		{"tcp://eth0;10.0.0.1:5", Endpoint{Scheme: TCP, Host: "10.0.0.1", Port: 5, Interface: "eth0"}},
		{"ipc:///tmp/x.sock", Endpoint{Scheme: IPC, Path: "/tmp/x.sock"}},
		{"ipc://@abstract", Endpoint{Scheme: IPC, Path: "@abstract"}},
		{"ipc://*", Endpoint{Scheme: IPC, Path: "*"}},
		{"inproc://a-name", Endpoint{Scheme: Inproc, Path: "a-name"}},
		{"udp://239.0.0.1:5555", Endpoint{Scheme: UDP, Host: "239.0.0.1", Port: 5555}},
		{"udp://lo;239.0.0.1:5555", Endpoint{Scheme: UDP, Host: "239.0.0.1", Port: 5555, Interface: "lo"}},
		{"udp://*:5555", Endpoint{Scheme: UDP, Host: "*", Port: 5555}},
	} {
		got, err := ParseEndpoint(tc.in)
		if err != nil {
			t.Errorf("ParseEndpoint(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseEndpoint(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		again, err := ParseEndpoint(got.String())
		if err != nil || again != got {
			t.Errorf("%q: String() = %q does not parse back (%v)", tc.in, got.String(), err)
		}
	}
}

// mustParse parses s, failing the test if it is not a valid endpoint.
func mustParse(t *testing.T, s string) Endpoint {
	t.Helper()
	e, err := ParseEndpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestParseEndpointErrors(t *testing.T) {
	for _, in := range []string{
		"", "127.0.0.1:5555", "foo://x", "tcp://", "tcp://:5", "tcp://127.0.0.1",
		"tcp://127.0.0.1:65536", "tcp://127.0.0.1:-1", "tcp://127.0.0.1:x", "tcp://::1:5",
		"tcp://[::1:5", "tcp://[nope]:5", "tcp://;1.2.3.4:5", "ipc://", "inproc://",
		"ipc://a\x00b", "ipc:///" + string(make([]byte, 200)),
	} {
		if _, err := ParseEndpoint(in); !errors.Is(err, ErrInvalidEndpoint) {
			t.Errorf("ParseEndpoint(%q): %v, want ErrInvalidEndpoint", in, err)
		}
	}
}

func TestNilContextRefused(t *testing.T) {
	var nilCtx context.Context
	tcp := mustParse(t, "tcp://127.0.0.1:*")
	udp := mustParse(t, "udp://127.0.0.1:5555")
	if _, _, err := Listen(nilCtx, tcp); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Listen with a nil context: %v, want ErrInvalidInput", err)
	}
	if _, err := Dial(nilCtx, tcp); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("Dial with a nil context: %v, want ErrInvalidInput", err)
	}
	if _, err := ListenUDP(nilCtx, udp); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("ListenUDP with a nil context: %v, want ErrInvalidInput", err)
	}
	if _, err := DialUDP(nilCtx, udp); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("DialUDP with a nil context: %v, want ErrInvalidInput", err)
	}
}

// TestDialUDPMulticastSetup checks what DialUDP sets on a socket sending
// to an IPv4 group: loopback on, TTL 1.
func TestDialUDPMulticastSetup(t *testing.T) {
	e := mustParse(t, "udp://239.0.0.1:5555")
	c, err := DialUDP(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := ipv4.NewPacketConn(c)
	if ttl, err := p.MulticastTTL(); err != nil || ttl != 1 {
		t.Errorf("multicast TTL = %d, %v; want 1", ttl, err)
	}
	if on, err := p.MulticastLoopback(); err != nil || !on {
		t.Errorf("multicast loopback = %v, %v; want on", on, err)
	}
}

func TestListenResolvesWildcards(t *testing.T) {
	ctx := context.Background()
	e := mustParse(t, "tcp://127.0.0.1:*")
	ln, bound, err := Listen(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if bound.Port == 0 {
		t.Fatal("ephemeral port not resolved")
	}
	c, err := Dial(ctx, bound)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, _, err := Listen(ctx, bound); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second bind: %v, want ErrAddrInUse", err)
	}

	ipc := mustParse(t, "ipc://*")
	ln2, bound2, err := Listen(ctx, ipc)
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	if bound2.Path == "*" || !filepath.IsAbs(bound2.Path) {
		t.Fatalf("ipc://* bound to %q", bound2.Path)
	}
}

func TestIPCBindStealsStalePath(t *testing.T) {
	ctx := context.Background()
	e := Endpoint{Scheme: IPC, Path: filepath.Join(t.TempDir(), "s")}
	ln, _, err := Listen(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	// Leave the file behind, as a crashed process would.
	ln.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	ln.Close()
	ln, _, err = Listen(ctx, e)
	if err != nil {
		t.Fatalf("rebinding a stale ipc path: %v", err)
	}
	ln.Close()
}

func TestRegistryConnectBeforeBind(t *testing.T) {
	r := NewRegistry[int]()
	if r.Connect("x", 1) {
		t.Fatal("delivered with no bind")
	}
	if r.Connect("x", 2) {
		t.Fatal("the second connect delivered with no bind")
	}
	if !r.Cancel("x", 2) || r.Cancel("x", 2) {
		t.Fatal("Cancel")
	}
	var got []int
	if err := r.Bind("x", func(h int) { got = append(got, h) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("pending connects delivered: %v", got)
	}
	if !r.Connect("x", 3) || len(got) != 2 {
		t.Fatal("connect after bind")
	}
	if err := r.Bind("x", func(int) {}); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("double bind: %v", err)
	}
	r.Unbind("x")
	if err := r.Bind("x", func(int) {}); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"tcp://127.0.0.1:*", "tcp://[::1]:5", "udp://lo;239.0.0.1:5", "ipc:///x", "inproc://n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s)
		if err != nil {
			return
		}
		again, err := ParseEndpoint(e.String())
		if err != nil || again != e {
			t.Fatalf("%q -> %+v -> %q -> %+v (%v)", s, e, e.String(), again, err)
		}
	})
}
