package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrAddrInUse is returned (wrapped) when a bind finds its address taken.
var ErrAddrInUse = errors.New("address in use")

// ErrAddrNotAvailable is returned (wrapped) when a bind names an address
// this machine does not have.
var ErrAddrNotAvailable = errors.New("address not available")

// ErrInvalidInput is returned (wrapped) when an argument no call can use is
// given, such as a nil context.Context to Listen, Dial, ListenUDP or
// DialUDP (pass context.Background() for none).
var ErrInvalidInput = errors.New("invalid input")

// errNilContext is what a call given a nil context.Context fails with.
var errNilContext = fmt.Errorf("%w: nil context.Context", ErrInvalidInput)

// Listen binds a stream endpoint (tcp or ipc) and returns its listener
// together with the endpoint actually bound: an ephemeral tcp port or an
// "ipc://*" path is resolved there, as libzmq's ZMQ_LAST_ENDPOINT is.
//
// As libzmq does, binding an ipc path removes a stale socket file first.
func Listen(ctx context.Context, e Endpoint) (net.Listener, Endpoint, error) {
	if ctx == nil {
		return nil, Endpoint{}, errNilContext
	}
	var lc net.ListenConfig
	switch e.Scheme {
	case TCP:
		host := e.Host
		if host != "*" && net.ParseIP(stripZone(host)) == nil {
			// libzmq binds to a NIC by name: use its first address.
			ip, err := interfaceAddr(host)
			if err != nil {
				return nil, e, fmt.Errorf("bind %s: %w", e, err)
			}
			host = ip.String()
		}
		addr := net.JoinHostPort(host, strconv.Itoa(e.Port))
		if e.Host == "*" {
			addr = ":" + strconv.Itoa(e.Port)
		}
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, e, fmt.Errorf("bind %s: %w", e, classify(err))
		}
		bound := e
		a := ln.Addr().(*net.TCPAddr)
		bound.Port = a.Port
		if e.Host == "*" {
			bound.Host = a.IP.String()
			if a.IP.IsUnspecified() && a.IP.To4() == nil {
				bound.Host = "::"
			}
		}
		return ln, bound, nil
	case IPC:
		path := e.Path
		if path == "*" {
			dir, err := os.MkdirTemp("", "zmesh-ipc-")
			if err != nil {
				return nil, e, fmt.Errorf("bind %s: %w", e, err)
			}
			path = filepath.Join(dir, "socket")
		} else if path[0] != '@' {
			// Steal the path from a dead socket file, as libzmq does.
			if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
				_ = os.Remove(path)
			}
		}
		ln, err := lc.Listen(ctx, "unix", path)
		if err != nil {
			return nil, e, fmt.Errorf("bind %s: %w", e, classify(err))
		}
		bound := e
		bound.Path = path
		return ln, bound, nil
	}
	return nil, e, fmt.Errorf("bind %s: %w", e, invalid(e.String(), "not a stream transport"))
}

// Dial connects to a stream endpoint (tcp or ipc). A tcp endpoint with an
// Interface dials from that source address or NIC.
func Dial(ctx context.Context, e Endpoint) (net.Conn, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	var d net.Dialer
	switch e.Scheme {
	case TCP:
		if e.Port == 0 || e.Host == "*" {
			return nil, fmt.Errorf("connect %s: %w", e, invalid(e.String(), "cannot connect to a wildcard address or port"))
		}
		if e.Interface != "" {
			ip := net.ParseIP(stripZone(e.Interface))
			if ip == nil {
				var err error
				if ip, err = interfaceAddr(e.Interface); err != nil {
					return nil, fmt.Errorf("connect %s: %w", e, err)
				}
			}
			d.LocalAddr = &net.TCPAddr{IP: ip}
		}
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)))
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", e, err)
		}
		return c, nil
	case IPC:
		if e.Path == "*" {
			return nil, fmt.Errorf("connect %s: %w", e, invalid(e.String(), "cannot connect to ipc://*"))
		}
		c, err := d.DialContext(ctx, "unix", e.Path)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", e, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("connect %s: %w", e, invalid(e.String(), "not a stream transport"))
}

func stripZone(host string) string {
	for i := 0; i < len(host); i++ {
		if host[i] == '%' {
			return host[:i]
		}
	}
	return host
}

// interfaceAddr returns the first address of the named network interface.
func interfaceAddr(name string) (net.IP, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is neither an IP address nor an interface", ErrAddrNotAvailable, name)
	}
	addrs, err := ifi.Addrs()
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("%w: interface %q has no address", ErrAddrNotAvailable, name)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP, nil
		}
	}
	return addrs[0].(*net.IPNet).IP, nil
}

// classify maps the operating system's bind errors onto the package's
// sentinels while keeping the original error in the chain.
func classify(err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%w: %w", ErrAddrInUse, err)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%w: %w", ErrAddrNotAvailable, err)
	}
	return err
}

// PeerAddress describes the remote end of a stream connection the way
// libzmq's ZAP handler sees it: the IP address as text for tcp, and
// ":uid:gid:pid" (from SO_PEERCRED) for ipc where the kernel provides it.
func PeerAddress(c net.Conn) string {
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.String()
	}
	if uc, ok := c.(*net.UnixConn); ok {
		return peerCred(uc)
	}
	return ""
}
