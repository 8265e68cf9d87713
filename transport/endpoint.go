package transport

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Scheme names a transport.
type Scheme string

// The transports zmesh speaks.
const (
	TCP    Scheme = "tcp"
	IPC    Scheme = "ipc"
	Inproc Scheme = "inproc"
	UDP    Scheme = "udp"
)

// ErrInvalidEndpoint is returned (wrapped, with the reason) for an endpoint
// that does not parse.
var ErrInvalidEndpoint = errors.New("invalid endpoint")

// maxInprocName bounds inproc names, as libzmq-rs does.
const maxInprocName = 256

// maxIPCPath is the longest path a unix socket address holds (sun_path is
// 108 bytes including the terminating NUL).
const maxIPCPath = 107

// Endpoint is a parsed endpoint such as "tcp://127.0.0.1:5555".
//
// For tcp and udp, Host and Port hold the address ("*" as Host means every
// interface, Port 0 an ephemeral port) and Interface the optional part before
// ';'. For ipc, Path is the socket path ("@name" for Linux's abstract
// namespace). For inproc, Path is the name.
type Endpoint struct {
	Scheme    Scheme
	Host      string
	Port      int
	Interface string
	Path      string
}

// String formats the endpoint in URI form; ParseEndpoint(e.String()) == e.
func (e Endpoint) String() string {
	switch e.Scheme {
	case IPC, Inproc:
		return string(e.Scheme) + "://" + e.Path
	}
	host := e.Host
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	port := strconv.Itoa(e.Port)
	if e.Port == 0 {
		port = "*"
	}
	s := string(e.Scheme) + "://"
	if e.Interface != "" {
		iface := e.Interface
		if strings.IndexByte(iface, ':') >= 0 {
			iface = "[" + iface + "]"
		}
		s += iface + ";"
	}
	return s + host + ":" + port
}

// Network is the name Go's net package uses for the endpoint's transport.
func (e Endpoint) Network() string {
	switch e.Scheme {
	case TCP:
		return "tcp"
	case IPC:
		return "unix"
	case UDP:
		return "udp"
	}
	return string(e.Scheme)
}

// HostPort is the "host:port" form Go's net package dials and listens on;
// "*" becomes the empty host (every interface).
func (e Endpoint) HostPort() string {
	host := e.Host
	if host == "*" {
		host = ""
	}
	return net.JoinHostPort(host, strconv.Itoa(e.Port))
}

func invalid(s, why string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidEndpoint, s, why)
}

// ParseEndpoint parses an endpoint in libzmq's URI syntax:
//
//	tcp://host:port   tcp://*:port   tcp://127.0.0.1:*   tcp://[::1]:port
//	tcp://iface;host:port            (source interface, connect only)
//	ipc:///abs/path   ipc://rel/path  ipc://@abstract
//	inproc://name
//	udp://host:port   udp://239.1.2.3:port   udp://iface;239.1.2.3:port   udp://*:port
func ParseEndpoint(s string) (Endpoint, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Endpoint{}, invalid(s, "want scheme://address (tcp, ipc, inproc or udp)")
	}
	e := Endpoint{Scheme: Scheme(scheme)}
	switch e.Scheme {
	case IPC:
		if rest == "" {
			return Endpoint{}, invalid(s, "empty ipc path")
		}
		if strings.IndexByte(rest, 0) >= 0 {
			return Endpoint{}, invalid(s, "NUL byte in ipc path")
		}
		if len(rest) > maxIPCPath {
			return Endpoint{}, invalid(s, fmt.Sprintf("ipc path is %d bytes, the limit is %d", len(rest), maxIPCPath))
		}
		e.Path = rest
		return e, nil
	case Inproc:
		if rest == "" {
			return Endpoint{}, invalid(s, "empty inproc name")
		}
		if len(rest) > maxInprocName {
			return Endpoint{}, invalid(s, fmt.Sprintf("inproc name is %d bytes, the limit is %d", len(rest), maxInprocName))
		}
		e.Path = rest
		return e, nil
	case TCP, UDP:
	default:
		return Endpoint{}, invalid(s, fmt.Sprintf("unknown transport %q (want tcp, ipc, inproc or udp)", scheme))
	}
	if iface, addr, found := strings.Cut(rest, ";"); found {
		if iface == "" {
			return Endpoint{}, invalid(s, "empty interface before ';'")
		}
		e.Interface = strings.TrimSuffix(strings.TrimPrefix(iface, "["), "]")
		rest = addr
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return Endpoint{}, invalid(s, "missing :port")
	}
	host, port := rest[:i], rest[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return Endpoint{}, invalid(s, "unterminated [ in IPv6 address")
		}
		host = host[1 : len(host)-1]
		if net.ParseIP(strings.SplitN(host, "%", 2)[0]) == nil {
			return Endpoint{}, invalid(s, fmt.Sprintf("%q is not an IPv6 address", host))
		}
	} else if strings.IndexByte(host, ':') >= 0 {
		return Endpoint{}, invalid(s, "IPv6 addresses go in brackets, as tcp://[::1]:5555")
	}
	if host == "" {
		return Endpoint{}, invalid(s, "empty host")
	}
	e.Host = host
	switch port {
	case "*", "0":
		e.Port = 0
	default:
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Endpoint{}, invalid(s, fmt.Sprintf("port %q is not a number from 1 to 65535 or *", port))
		}
		e.Port = n
	}
	return e, nil
}
