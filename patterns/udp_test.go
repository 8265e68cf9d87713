package patterns

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/socket"
)

func TestRadioDishOverUDP(t *testing.T) {
	for _, tc := range []struct{ name, bind, connect string }{
		{"unicast", "udp://127.0.0.1:*", ""},
		{"multicast on lo", "udp://lo;239.10.20.30:*", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			d, err := NewDish(zctx, Options{})
			must(t, err)
			bind := tc.bind
			if strings.Contains(bind, "239.") {
				// A multicast group needs a fixed port: borrow a free one.
				pc, _ := net.ListenPacket("udp4", "127.0.0.1:0")
				port := pc.LocalAddr().(*net.UDPAddr).Port
				pc.Close()
				bind = strings.Replace(bind, "*", strconv.Itoa(port), 1)
			}
			must(t, d.Bind(bind))
			ep, err := d.LastEndpoint()
			must(t, err)
			must(t, d.Join("weather"))
			must(t, d.Join(strings.Repeat("x", 127)))
			r, err := NewRadio(zctx, Options{}, RadioOptions{})
			must(t, err)
			must(t, r.Connect(ep))
			// No JOIN over UDP: the radio sends everything, the dish filters.
			r.Transmit(ctx, []byte("skip"), "sports")
			r.Transmit(ctx, []byte("rain"), "weather")
			r.Transmit(ctx, []byte("long"), strings.Repeat("x", 127))
			r.Transmit(ctx, make([]byte, MaxDatagram-1-len("weather")), "weather") // exactly the limit
			for _, want := range []string{"rain", "long"} {
				m, err := d.Recv(ctx)
				if err != nil || string(m.Body) != want {
					t.Fatalf("got %q (%v), want %q", m.Body, err, want)
				}
			}
			if m, err := d.Recv(ctx); err != nil || len(m.Body) != MaxDatagram-8 {
				t.Fatalf("limit-sized datagram: %d bytes, %v", len(m.Body), err)
			}
			// One byte more is refused, never truncated.
			err = r.Transmit(ctx, make([]byte, MaxDatagram-len("weather")), "weather")
			if !errors.Is(err, socket.ErrTooLarge) {
				t.Fatalf("oversize datagram: %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestDishDropsMalformedDatagrams(t *testing.T) {
	ctx := testCtx(t)
	d, err := NewDish(newCtx(t), Options{})
	must(t, err)
	mon := d.Monitor()
	must(t, d.Bind("udp://127.0.0.1:*"))
	ep, err := d.LastEndpoint()
	must(t, err)
	must(t, d.Join("g"))
	raw, err := net.Dial("udp", strings.TrimPrefix(ep, "udp://"))
	must(t, err)
	defer raw.Close()
	raw.Write([]byte{10, 'g'})                                      // group length past the end
	raw.Write([]byte{})                                             // empty
	raw.Write(append([]byte{1, 'g'}, make([]byte, MaxDatagram)...)) // oversize
	raw.Write([]byte{1, 'g', 'o', 'k'})
	m, err := d.Recv(ctx)
	if err != nil || string(m.Body) != "ok" || m.Group != "g" {
		t.Fatalf("got %q in %q (%v)", m.Body, m.Group, err)
	}
	seen := 0
	for seen < 2 {
		e := <-mon
		if e.Type == socket.EventMessageDropped {
			if !errors.Is(e.Err, socket.ErrProtocol) {
				t.Fatalf("drop reason %v", e.Err)
			}
			seen++
		}
	}
}

func TestUDPOnlyForRadioAndDish(t *testing.T) {
	c, err := NewClient(newCtx(t), Options{})
	must(t, err)
	if err := c.Connect("udp://127.0.0.1:5555"); !errors.Is(err, socket.ErrNotSupported) {
		t.Fatalf("client connect udp: %v", err)
	}
	d, err := NewDish(newCtx(t), Options{})
	must(t, err)
	if err := d.Connect("udp://127.0.0.1:5555"); !errors.Is(err, socket.ErrNotSupported) {
		t.Fatalf("dish connect udp: %v", err)
	}
}
