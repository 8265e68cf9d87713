package mechanism

import "context"

// clientRole is one connection's state in the client role of CURVE or
// NOISE, once it has built HELLO. The handshake goroutine owns it.
type clientRole interface {
	// onWelcome checks WELCOME and returns INITIATE carrying md.
	onWelcome(body []byte, md Metadata) (initiate []byte, err error)
	// onReady checks READY and returns the server's properties.
	onReady(body []byte) (Metadata, error)
	// finish returns the server's long-term key and the link's codec.
	finish() (server PublicKey, codec Codec)
}

// clientHandshake runs the client role: it sends HELLO, answers WELCOME
// with INITIATE, reads READY and checks the server's properties. If the
// server closes the connection right after HELLO and closed is set, the
// handshake fails with closed as its reason, allowing a retry.
func clientHandshake(ctx context.Context, c Conn, p *Params, st clientRole, hello []byte, closed string) (*Result, error) {
	if err := c.WriteCommand(hello); err != nil {
		return nil, err
	}
	body, err := readCommand(ctx, c)
	if err != nil {
		if closed != "" && isEOF(err) {
			return nil, &HandshakeError{Reason: closed, Retry: true, Err: err}
		}
		return nil, err
	}
	initiate, err := st.onWelcome(body, p.Metadata)
	if err != nil {
		return nil, err
	}
	if body, err = sendRead(ctx, c, initiate); err != nil {
		return nil, err
	}
	md, err := st.onReady(body)
	if err != nil {
		return nil, err
	}
	if err := checkPeer(p, md); err != nil {
		return nil, err
	}
	server, codec := st.finish()
	return &Result{Peer: md, PublicKey: append([]byte(nil), server[:]...), Codec: codec}, nil
}

// serverRole is one connection's state in the server role of CURVE or
// NOISE, whose handshakes take the same steps with different commands.
// The handshake goroutine owns it.
type serverRole interface {
	// onHello checks HELLO and returns WELCOME. On failure it may also
	// return a reply (an ERROR) to send before giving up.
	onHello(body []byte) (reply []byte, err error)
	// onInitiate checks INITIATE and returns the client's properties;
	// after it, peerKey is the client's proven long-term key.
	onInitiate(body []byte) (Metadata, error)
	peerKey() PublicKey
	// finish builds READY carrying md, and the link's codec.
	finish(md Metadata) (ready []byte, codec Codec, err error)
}

// serverHandshake runs the server role: it reads HELLO and answers
// WELCOME, reads INITIATE, puts the client's key to Params.Auth (ERROR
// "400"/"500" if it refuses), checks the client's properties and answers
// READY. Result.UserID is what the authenticator returned, or the client's
// key in Z85.
func serverHandshake(ctx context.Context, c Conn, p *Params, mech string, st serverRole) (*Result, error) {
	body, err := readCommand(ctx, c)
	if err != nil {
		return nil, err
	}
	welcome, err := st.onHello(body)
	if welcome != nil {
		if werr := c.WriteCommand(welcome); werr != nil && err == nil {
			return nil, werr
		}
	}
	if err != nil {
		return nil, err
	}
	if body, err = readCommand(ctx, c); err != nil {
		return nil, err
	}
	md, err := st.onInitiate(body)
	if err != nil {
		return nil, err
	}
	key := st.peerKey()
	userID := ""
	if p.Auth != nil {
		userID, err = p.Auth.Authenticate(ctx, &AuthRequest{Mechanism: mech, Address: p.PeerAddress, PublicKey: append([]byte(nil), key[:]...)})
		if err != nil {
			return nil, Refuse(c, err)
		}
	}
	if userID == "" {
		userID = key.String()
	}
	if err := checkPeer(p, md); err != nil {
		return nil, err
	}
	ready, codec, err := st.finish(p.Metadata)
	if err != nil {
		return nil, err
	}
	if err := c.WriteCommand(ready); err != nil {
		return nil, err
	}
	return &Result{Peer: md, UserID: userID, PublicKey: append([]byte(nil), key[:]...), Codec: codec}, nil
}
