//go:build !linux

package transport

import "net"

func newMmsgWriter(*net.UDPConn) mmsgWriter           { return nil }
func newMmsgReader(*net.UDPConn, int, int) mmsgReader { return nil }
