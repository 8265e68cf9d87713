package engine

import (
	"errors"
	"fmt"
	"net"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/transport"
)

// appendDatagram encodes one RADIO message as a datagram.
func appendDatagram(dst []byte, group string, body []byte) ([]byte, error) {
	if len(group) > 255 {
		return dst, fmt.Errorf("%w: %d-byte group", socket.ErrInvalidInput, len(group))
	}
	if 1+len(group)+len(body) > socket.MaxDatagram {
		return dst, fmt.Errorf("%w: datagram of %d bytes (the limit is %d)", socket.ErrTooLarge, 1+len(group)+len(body), socket.MaxDatagram)
	}
	dst = append(dst, byte(len(group)))
	dst = append(dst, group...)
	return append(dst, body...), nil
}

// parseDatagram splits a datagram into group and body. The group length is
// unsigned (libzmq 4.3 reads it signed, a bug); a length that runs past the
// datagram is an error.
func parseDatagram(b []byte) (group, body []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errors.New("empty datagram")
	}
	if len(b) > socket.MaxDatagram {
		return nil, nil, fmt.Errorf("%d-byte datagram (the limit is %d)", len(b), socket.MaxDatagram)
	}
	n := int(b[0])
	if 1+n > len(b) {
		return nil, nil, fmt.Errorf("group length %d runs past the %d-byte datagram", n, len(b))
	}
	return b[1 : 1+n], b[1+n:], nil
}

// connectUDP opens a datagram link for a RADIO: every message queued on its
// pipe goes out as one datagram.
func (s *Socket) connectUDP(e transport.Endpoint) error {
	if !s.typ.SendGroup {
		return fmt.Errorf("%w: only a RADIO connects to udp:// (%s)", socket.ErrNotSupported, e)
	}
	uc, err := transport.DialUDP(s.bg, e)
	if err != nil {
		return fmt.Errorf("%w: %w", socket.ErrInvalidInput, err)
	}
	return s.startUDP(e.String(), uc, false)
}

// bindUDP opens a datagram listener for a DISH.
func (s *Socket) bindUDP(e transport.Endpoint) error {
	if !s.typ.RecvGroup {
		return fmt.Errorf("%w: only a DISH binds udp:// (%s)", socket.ErrNotSupported, e)
	}
	uc, err := transport.ListenUDP(s.bg, e)
	if err != nil {
		s.event(socket.EventBindFailed, e.String(), "", err)
		return err
	}
	name := e.String()
	if e.Port == 0 {
		bound := e
		bound.Port = uc.LocalAddr().(*net.UDPAddr).Port
		name = bound.String()
	}
	return s.startUDP(name, uc, true)
}

func (s *Socket) startUDP(name string, uc *net.UDPConn, bind bool) error {
	s.tune(uc)
	p := newUDPPipe(s, name)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = uc.Close()
		return s.closedErr()
	}
	if _, dup := s.endpoints[name]; dup {
		s.mu.Unlock()
		_ = uc.Close()
		return fmt.Errorf("%w: %s is already in use by this socket", socket.ErrAddrInUse, name)
	}
	done := make(chan struct{})
	s.endpoints[name] = &endpoint{name: name, bind: bind, cancel: func() {
		close(done)
		_ = uc.Close()
	}}
	s.last = name
	s.wg.Add(1)
	s.mu.Unlock()
	s.attach(p)
	p.setLive(true)
	if s.handler != nil {
		s.handler.PeerUp(p)
	}
	if bind {
		s.event(socket.EventListening, name, "", nil)
	} else {
		s.event(socket.EventConnected, name, "", nil)
	}
	go func() {
		defer s.wg.Done()
		if bind {
			s.udpReader(p, uc, done)
		} else {
			s.udpWriter(p, uc, done)
		}
		p.setLive(false)
		s.detach(p)
		if s.handler != nil {
			s.handler.PeerDown(p, true)
		}
	}()
	return nil
}

// udpWriter sends the pipe's messages, one datagram each, a batch of them
// per system call (sendmmsg on Linux). UDP is lossy by nature: a failed
// send (no listener yet, for instance) drops the message.
func (s *Socket) udpWriter(p *Pipe, uc *net.UDPConn, done chan struct{}) {
	const maxBatch = 64
	w := transport.NewDatagramWriter(uc)
	bufs := make([][]byte, maxBatch)
	dgrams := make([][]byte, 0, maxBatch)
	batch := make([]socket.Msg, 0, maxBatch)
	for {
		var ctrl [][]byte
		batch, ctrl = p.take(batch, false)
		_ = ctrl // no commands over UDP
		if len(batch) == 0 {
			select {
			case <-p.wake:
				continue
			case <-done:
				return
			}
		}
		// The batch goes back to the pipe as its next queue (take): keep
		// its start, and with it its capacity.
		for start := 0; start < len(batch); start += maxBatch {
			part := batch[start:min(len(batch), start+maxBatch)]
			dgrams = dgrams[:0]
			var size int64
			for i := range part {
				size += int64(part[i].Len())
				var err error
				if bufs[i], err = appendDatagram(bufs[i][:0], part[i].Group, Joined(part[i]).Body); err == nil {
					dgrams = append(dgrams, bufs[i])
				}
			}
			_, _ = w.Write(dgrams)
			p.written(size)
		}
		clear(batch)
	}
}

// udpReader receives datagrams into the pipe's incoming queue, dropping
// malformed ones (reported on the monitor) and those of groups not joined.
// At the receive high-water mark it stops reading; the kernel then drops.
func (s *Socket) udpReader(p *Pipe, uc *net.UDPConn, done chan struct{}) {
	r := transport.NewDatagramReader(uc, socket.MaxDatagram) // a longer datagram reads as socket.MaxDatagram+1 bytes
	fr := &frameReader{}
	batch := make([]socket.Msg, 0, transport.MaxDatagramBatch)
	for {
		dgrams, err := r.Read()
		if err != nil {
			select {
			case <-done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		batch = batch[:0]
		var size int64
		for _, d := range dgrams {
			group, body, err := parseDatagram(d.Data)
			if err != nil {
				from := ""
				if d.From.IsValid() {
					from = d.From.String()
				}
				s.event(socket.EventMessageDropped, p.endpoint, from, fmt.Errorf("%w: %w", socket.ErrProtocol, err))
				continue
			}
			g := s.intern(group)
			if s.filter != nil && !s.filter(g) {
				continue
			}
			b, slabbed := fr.own(body)
			from := bodyOwn
			switch {
			case len(body) > slabMax:
				from = bodyClass
			case slabbed:
				from = bodySlab
			}
			batch = append(batch, s.received(b, p.id, g, p.peer.Load(), from))
			size += int64(len(body))
		}
		if len(batch) == 0 {
			continue
		}
		full := s.in.pushBatch(p, batch, size)
		clear(batch)
		if full {
			select {
			case <-p.readerWake:
			case <-done:
				return
			}
		}
	}
}
