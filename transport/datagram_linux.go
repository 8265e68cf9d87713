//go:build linux

package transport

import (
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr: a msghdr and the byte count the kernel sets.
// Go pads it to the alignment of Msghdr's pointers, as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// linuxMmsgWriter sends with sendmmsg(2) through the socket's RawConn, so
// the runtime's poller handles EAGAIN; its headers are allocated once.
type linuxMmsgWriter struct {
	rc   syscall.RawConn
	hdrs []mmsghdr
	iovs []unix.Iovec
}

func newMmsgWriter(uc *net.UDPConn) mmsgWriter {
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	return &linuxMmsgWriter{rc: rc, hdrs: make([]mmsghdr, MaxDatagramBatch), iovs: make([]unix.Iovec, MaxDatagramBatch)}
}

func (w *linuxMmsgWriter) write(dgrams [][]byte) (int, error) {
	for i, d := range dgrams {
		w.iovs[i] = unix.Iovec{}
		if len(d) > 0 {
			w.iovs[i].Base = &d[0]
		}
		w.iovs[i].SetLen(len(d))
		w.hdrs[i] = mmsghdr{}
		w.hdrs[i].hdr.Iov = &w.iovs[i]
		w.hdrs[i].hdr.SetIovlen(1)
	}
	var sent int
	var errno syscall.Errno
	err := w.rc.Write(func(fd uintptr) bool {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.hdrs[0])), uintptr(len(dgrams)), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN {
			return false
		}
		sent, errno = int(r), e
		return true
	})
	runtime.KeepAlive(dgrams)
	for i := range dgrams {
		w.iovs[i].Base = nil
	}
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, &net.OpError{Op: "sendmmsg", Net: "udp", Err: errno}
	}
	return sent, nil
}

// linuxMmsgReader receives with recvmmsg(2) into buffers allocated once.
type linuxMmsgReader struct {
	rc    syscall.RawConn
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	buf   []byte // len(hdrs) buffers of size bytes each
	size  int
	out   []Datagram
}

func newMmsgReader(uc *net.UDPConn, size, n int) mmsgReader {
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &linuxMmsgReader{
		rc: rc, size: size,
		hdrs: make([]mmsghdr, n), iovs: make([]unix.Iovec, n), names: make([]unix.RawSockaddrAny, n),
		buf: make([]byte, n*size), out: make([]Datagram, n),
	}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.buf[i*size]
		r.iovs[i].SetLen(size)
		r.hdrs[i].hdr.Iov = &r.iovs[i]
		r.hdrs[i].hdr.SetIovlen(1)
		r.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
	}
	return r
}

func (r *linuxMmsgReader) read() ([]Datagram, error) {
	for i := range r.hdrs {
		r.hdrs[i].hdr.Namelen = unix.SizeofSockaddrAny
		r.hdrs[i].hdr.Flags = 0
		r.hdrs[i].n = 0
	}
	var got int
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN {
			return false
		}
		got, errno = int(n), e
		return true
	})
	if err != nil {
		return nil, err
	}
	if errno != 0 {
		return nil, &net.OpError{Op: "recvmmsg", Net: "udp", Err: errno}
	}
	out := r.out[:got]
	for i := range out {
		n := int(r.hdrs[i].n)
		if r.hdrs[i].hdr.Flags&unix.MSG_TRUNC != 0 || n > r.size {
			n = r.size // truncated: the caller sees size bytes, one over its limit
		}
		out[i] = Datagram{Data: r.buf[i*r.size : i*r.size+n], From: sockaddrAddr(&r.names[i], r.hdrs[i].hdr.Namelen)}
	}
	return out, nil
}

// sockaddrAddr converts a kernel socket address (without allocating).
func sockaddrAddr(sa *unix.RawSockaddrAny, n uint32) netip.AddrPort {
	switch sa.Addr.Family {
	case unix.AF_INET:
		if n < unix.SizeofSockaddrInet4 {
			return netip.AddrPort{}
		}
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&in.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), port)
	case unix.AF_INET6:
		if n < unix.SizeofSockaddrInet6 {
			return netip.AddrPort{}
		}
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&in.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom16(in.Addr).Unmap(), port)
	}
	return netip.AddrPort{}
}
