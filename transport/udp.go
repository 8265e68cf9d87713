package transport

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// IsMulticast reports whether a udp endpoint names a multicast group.
func (e Endpoint) IsMulticast() bool {
	ip := net.ParseIP(stripZone(e.Host))
	return ip != nil && ip.IsMulticast()
}

// udpInterface resolves the part before ';' of a udp endpoint: a NIC name
// or one of its addresses. An empty name means the system's default.
func udpInterface(name string) (*net.Interface, error) {
	if name == "" || name == "*" {
		return nil, nil
	}
	if ifi, err := net.InterfaceByName(name); err == nil {
		return ifi, nil
	}
	ip := net.ParseIP(stripZone(name))
	if ip == nil {
		return nil, fmt.Errorf("%w: %q is neither an interface nor an IP address", ErrAddrNotAvailable, name)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		addrs, _ := ifs[i].Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return &ifs[i], nil
			}
		}
	}
	return nil, fmt.Errorf("%w: no interface has address %s", ErrAddrNotAvailable, ip)
}

func checkUDP(e Endpoint) error {
	if e.Scheme != UDP {
		return invalid(e.String(), "not a udp endpoint")
	}
	if e.Interface != "" && !e.IsMulticast() {
		return invalid(e.String(), "an interface before ';' needs a multicast group")
	}
	return nil
}

// ListenUDP binds a udp endpoint to receive datagrams (a DISH binds):
// "udp://*:port" or "udp://host:port" for unicast; for a multicast group
// it binds the port on every address with SO_REUSEADDR and SO_REUSEPORT
// (so several receivers can share it) and joins the group on the named
// interface, or the default one.
func ListenUDP(ctx context.Context, e Endpoint) (*net.UDPConn, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if err := checkUDP(e); err != nil {
		return nil, err
	}
	if e.Port == 0 && e.IsMulticast() {
		return nil, invalid(e.String(), "a multicast group needs a port")
	}
	if !e.IsMulticast() {
		var lc net.ListenConfig
		pc, err := lc.ListenPacket(ctx, "udp", e.HostPort())
		if err != nil {
			return nil, fmt.Errorf("bind %s: %w", e, classify(err))
		}
		return pc.(*net.UDPConn), nil
	}
	group := net.ParseIP(stripZone(e.Host))
	ifi, err := udpInterface(e.Interface)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", e, err)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	network, any := "udp4", "0.0.0.0"
	if group.To4() == nil {
		network, any = "udp6", "::"
	}
	pc, err := lc.ListenPacket(ctx, network, net.JoinHostPort(any, strconv.Itoa(e.Port)))
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", e, classify(err))
	}
	c := pc.(*net.UDPConn)
	if group.To4() != nil {
		err = ipv4.NewPacketConn(c).JoinGroup(ifi, &net.UDPAddr{IP: group})
	} else {
		err = ipv6.NewPacketConn(c).JoinGroup(ifi, &net.UDPAddr{IP: group})
	}
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("bind %s: join multicast group: %w", e, err)
	}
	return c, nil
}

// DialUDP opens a udp endpoint to send datagrams to (a RADIO connects). For
// a multicast group it sends out of the named interface, with loopback on
// (local receivers hear it) and a hop limit of 1, as libzmq's defaults.
func DialUDP(ctx context.Context, e Endpoint) (*net.UDPConn, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if err := checkUDP(e); err != nil {
		return nil, err
	}
	if e.Port == 0 || e.Host == "*" {
		return nil, invalid(e.String(), "cannot send to a wildcard address or port")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", e, err)
	}
	uc := c.(*net.UDPConn)
	if !e.IsMulticast() {
		return uc, nil
	}
	ifi, err := udpInterface(e.Interface)
	if err == nil {
		err = setMulticastSend(uc, net.ParseIP(stripZone(e.Host)).To4() != nil, ifi)
	}
	if err != nil {
		_ = uc.Close()
		return nil, fmt.Errorf("connect %s: %w", e, err)
	}
	return uc, nil
}

// setMulticastSend sets up c to send to a multicast group of IPv4 (v4) or
// IPv6: out of ifi (nil: the default interface), with loopback on and a
// hop limit of 1.
func setMulticastSend(c *net.UDPConn, v4 bool, ifi *net.Interface) error {
	var p interface {
		SetMulticastInterface(*net.Interface) error
		SetMulticastLoopback(bool) error
	}
	var setHops func(int) error
	if v4 {
		p4 := ipv4.NewPacketConn(c)
		p, setHops = p4, p4.SetMulticastTTL
	} else {
		p6 := ipv6.NewPacketConn(c)
		p, setHops = p6, p6.SetMulticastHopLimit
	}
	if ifi != nil {
		if err := p.SetMulticastInterface(ifi); err != nil {
			return err
		}
	}
	if err := p.SetMulticastLoopback(true); err != nil {
		return err
	}
	return setHops(1)
}
