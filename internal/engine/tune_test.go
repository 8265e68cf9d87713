package engine

import (
	"log/slog"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmesh/zmesh/socket"
)

// sockopt reads an integer socket option of c.
func sockopt(t *testing.T, c syscall.Conn, opt int) int { return sockoptAt(t, c, unix.SOL_SOCKET, opt) }

// sockoptAt reads an integer option of c at level.
func sockoptAt(t *testing.T, c syscall.Conn, level, opt int) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

// dialListener listens on network and address and returns a connection
// dialled to it; the test's end closes both.
func dialListener(t *testing.T, network, address string) net.Conn {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestBufferSizesReachTheKernel(t *testing.T) {
	const want = 96 << 10 // under the usual rmem_max/wmem_max caps
	s := &Socket{opts: socket.Options{SendBuffer: want, RecvBuffer: want}, log: slog.Default()}
	tc := dialListener(t, "tcp", "127.0.0.1:0")
	uc := dialListener(t, "unix", filepath.Join(t.TempDir(), "s"))
	dc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	for name, c := range map[string]net.Conn{"tcp": tc, "ipc": uc, "udp": dc} {
		before := sockopt(t, c.(syscall.Conn), unix.SO_RCVBUF)
		s.tune(c)
		// Linux reports twice the size asked for.
		if got := sockopt(t, c.(syscall.Conn), unix.SO_RCVBUF); got < want || got == before {
			t.Errorf("%s: SO_RCVBUF %d (was %d), want at least %d", name, got, before, want)
		}
		if got := sockopt(t, c.(syscall.Conn), unix.SO_SNDBUF); got < want {
			t.Errorf("%s: SO_SNDBUF %d, want at least %d", name, got, want)
		}
	}
	if _, err := normalize(socket.Options{RecvBuffer: -1}); err == nil {
		t.Error("a negative buffer size was accepted")
	}
}

// tcpopt reads an integer IPPROTO_TCP option of c.
func tcpopt(t *testing.T, c syscall.Conn, opt int) int { return sockoptAt(t, c, unix.IPPROTO_TCP, opt) }

func TestTCPKeepaliveReachesTheKernel(t *testing.T) {
	s := &Socket{opts: socket.Options{TCPKeepalive: 1, TCPKeepaliveCount: 7, TCPKeepaliveIdle: 42 * time.Second,
		TCPKeepaliveInterval: 9 * time.Second}, log: slog.Default()}
	c := dialListener(t, "tcp", "127.0.0.1:0")
	s.keepalive(c)
	sc := c.(syscall.Conn)
	if got := sockopt(t, sc, unix.SO_KEEPALIVE); got != 1 {
		t.Errorf("SO_KEEPALIVE %d", got)
	}
	for name, want := range map[int]int{unix.TCP_KEEPCNT: 7, unix.TCP_KEEPIDLE: 42, unix.TCP_KEEPINTVL: 9} {
		if got := tcpopt(t, sc, name); got != want {
			t.Errorf("option %d: %d, want %d", name, got, want)
		}
	}
	off := &Socket{opts: socket.Options{TCPKeepalive: -1}, log: slog.Default()}
	off.keepalive(c)
	if got := sockopt(t, sc, unix.SO_KEEPALIVE); got != 0 {
		t.Errorf("SO_KEEPALIVE %d after turning it off", got)
	}
	if _, err := normalize(socket.Options{TCPKeepalive: 2}); err == nil {
		t.Error("TCPKeepalive 2 was accepted")
	}
}
