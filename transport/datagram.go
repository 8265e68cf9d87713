package transport

import (
	"errors"
	"net"
	"net/netip"
)

// DatagramWriter sends batches of datagrams on a connected UDP socket with
// as few system calls as the platform allows: one sendmmsg(2) per batch of
// up to MaxDatagramBatch on Linux, one write per datagram elsewhere. It is
// not safe for concurrent use.
type DatagramWriter struct {
	uc *net.UDPConn
	mm mmsgWriter // nil where the platform has no sendmmsg
}

// MaxDatagramBatch is the most datagrams one DatagramWriter.Write or
// DatagramReader.Read moves per system call.
const MaxDatagramBatch = 64

// NewDatagramWriter returns a DatagramWriter on uc, which must be connected
// (DialUDP).
func NewDatagramWriter(uc *net.UDPConn) *DatagramWriter {
	return &DatagramWriter{uc: uc, mm: newMmsgWriter(uc)}
}

// Write sends every datagram in dgrams, in order. UDP is lossy: a datagram
// the kernel refuses (for instance with ECONNREFUSED, left by an earlier
// ICMP port-unreachable) is skipped and the rest are still sent. It returns
// how many were sent and the last error seen; an error that is not about
// one datagram (the socket closed) ends the call.
func (w *DatagramWriter) Write(dgrams [][]byte) (sent int, err error) {
	for len(dgrams) > 0 {
		var n int
		var werr error
		if w.mm != nil {
			n, werr = w.mm.write(dgrams[:min(len(dgrams), MaxDatagramBatch)])
		} else if _, werr = w.uc.Write(dgrams[0]); werr == nil {
			n = 1
		}
		sent += n
		dgrams = dgrams[n:]
		if werr != nil {
			err = werr
			if errors.Is(werr, net.ErrClosed) {
				return sent, err
			}
			dgrams = dgrams[1:] // refused: drop it, as one write would
		}
	}
	return sent, err
}

// DatagramReader receives datagrams from a UDP socket, several per system
// call where the platform allows (recvmmsg(2) on Linux). It is not safe for
// concurrent use.
type DatagramReader struct {
	uc   *net.UDPConn
	mm   mmsgReader // nil where the platform has no recvmmsg
	bufs [][]byte
	one  []Datagram
}

// Datagram is one received datagram: Data aliases the reader's buffers and
// is valid until the next Read.
type Datagram struct {
	Data []byte
	From netip.AddrPort // the sender; not IsValid if unknown
}

// NewDatagramReader returns a DatagramReader on uc whose buffers hold
// datagrams of up to size bytes; longer ones are truncated to size+1 bytes,
// so a caller can tell them apart.
func NewDatagramReader(uc *net.UDPConn, size int) *DatagramReader {
	r := &DatagramReader{uc: uc, mm: newMmsgReader(uc, size+1, MaxDatagramBatch)}
	if r.mm == nil {
		r.bufs = [][]byte{make([]byte, size+1)}
		r.one = make([]Datagram, 1)
	}
	return r
}

// Read blocks until at least one datagram arrives and returns those
// available, up to MaxDatagramBatch.
func (r *DatagramReader) Read() ([]Datagram, error) {
	if r.mm != nil {
		return r.mm.read()
	}
	n, from, err := r.uc.ReadFromUDPAddrPort(r.bufs[0])
	if err != nil {
		return nil, err
	}
	r.one[0] = Datagram{Data: r.bufs[0][:n], From: from}
	return r.one, nil
}

type mmsgWriter interface {
	write(dgrams [][]byte) (int, error)
}

type mmsgReader interface {
	read() ([]Datagram, error)
}
