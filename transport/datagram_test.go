package transport

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"
)

// udpPair returns a bound reader socket and a writer connected to it.
func udpPair(t *testing.T, network, addr string) (rd, wr *net.UDPConn) {
	t.Helper()
	la, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	rd, err = net.ListenUDP(network, la)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	t.Cleanup(func() { rd.Close() })
	wr, err = net.DialUDP(network, nil, rd.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wr.Close() })
	_ = rd.SetReadBuffer(4 << 20) // best effort: the kernel may cap it; the tests read as they go
	return rd, wr
}

// readAll reads until n datagrams have arrived.
func readAll(t *testing.T, r *DatagramReader, rd *net.UDPConn, n int) []Datagram {
	t.Helper()
	if err := rd.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var got []Datagram
	for len(got) < n {
		ds, err := r.Read()
		if err != nil {
			t.Fatalf("after %d of %d datagrams: %v", len(got), n, err)
		}
		for _, d := range ds {
			got = append(got, Datagram{Data: bytes.Clone(d.Data), From: d.From})
		}
	}
	return got
}

func TestDatagramBatches(t *testing.T) {
	for _, tc := range []struct{ name, network, addr string }{
		{"ipv4", "udp4", "127.0.0.1:0"},
		{"ipv6", "udp6", "[::1]:0"},
	} {
		for _, portable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/portable=%v", tc.name, portable), func(t *testing.T) {
				rd, wr := udpPair(t, tc.network, tc.addr)
				w := NewDatagramWriter(wr)
				r := NewDatagramReader(rd, 100)
				if portable { // the path of platforms without sendmmsg/recvmmsg
					w.mm = nil
					r = &DatagramReader{uc: rd, bufs: [][]byte{make([]byte, 101)}, one: make([]Datagram, 1)}
				}
				const n = 150 // more than two batches
				var dgrams [][]byte
				for i := 0; i < n; i++ {
					dgrams = append(dgrams, bytes.Repeat([]byte{byte(i)}, i%100))
				}
				dgrams = append(dgrams, make([]byte, 101), make([]byte, 5000)) // over the reader's size
				sent, err := w.Write(dgrams)
				if err != nil || sent != len(dgrams) {
					t.Fatalf("sent %d of %d: %v", sent, len(dgrams), err)
				}
				got := readAll(t, r, rd, len(dgrams))
				for i, d := range got[:n] {
					if !bytes.Equal(d.Data, dgrams[i]) {
						t.Fatalf("datagram %d: %d bytes, want %d", i, len(d.Data), len(dgrams[i]))
					}
					if d.From != wr.LocalAddr().(*net.UDPAddr).AddrPort() {
						t.Fatalf("datagram %d from %v, want %v", i, d.From, wr.LocalAddr())
					}
				}
				for _, d := range got[n:] {
					if len(d.Data) != 101 {
						t.Fatalf("an oversize datagram read as %d bytes, want 101 (size+1)", len(d.Data))
					}
				}
			})
		}
	}
}

// TestDatagramWriterSkipsRefused: with nobody listening, loopback answers
// with ICMP port-unreachable and later sends fail with ECONNREFUSED; the
// writer drops the refused datagram and goes on with the rest.
func TestDatagramWriterSkipsRefused(t *testing.T) {
	rd, wr := udpPair(t, "udp4", "127.0.0.1:0")
	addr := rd.LocalAddr().(*net.UDPAddr)
	rd.Close()
	w := NewDatagramWriter(wr)
	batch := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	// The ICMP error comes back asynchronously and nothing announces it:
	// write until a send is refused, pausing between tries, for at most
	// 10 seconds.
	refused := false
	for deadline := time.Now().Add(10 * time.Second); !refused && time.Now().Before(deadline); {
		sent, err := w.Write(batch)
		if sent > len(batch) {
			t.Fatalf("sent %d of %d", sent, len(batch))
		}
		if refused = err != nil; !refused {
			time.Sleep(time.Millisecond)
		}
	}
	if !refused {
		t.Fatal("no send was refused within 10s with nobody listening")
	}
	// A listener comes back on the port: datagrams flow again.
	back, err := net.ListenUDP("udp4", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	defer back.Close()
	r := NewDatagramReader(back, 100)
	if err := back.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// A refusal still queued may fail a write or two more.
	for deadline := time.Now().Add(5 * time.Second); ; {
		_, err := w.Write(batch)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still fail with a listener back: %v", err)
		}
	}
	if got := readAll(t, r, back, 1); len(got[0].Data) != 1 {
		t.Fatalf("got %q", got[0].Data)
	}
}

func TestDatagramWriterClosed(t *testing.T) {
	_, wr := udpPair(t, "udp4", "127.0.0.1:0")
	w := NewDatagramWriter(wr)
	wr.Close()
	if sent, err := w.Write([][]byte{[]byte("x"), []byte("y")}); sent != 0 || err == nil {
		t.Fatalf("write on a closed socket: %d, %v", sent, err)
	}
}
