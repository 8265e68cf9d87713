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
	if hello != nil { // nil: it went out with the greeting (Opener)
		if err := c.WriteCommand(hello); err != nil {
			return nil, err
		}
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
	// Our transient key needs nothing from the client: made now, it is
	// ready when HELLO comes (the client makes its own key before it
	// sends HELLO, so the two are made at the same time).
	if pr, ok := st.(interface{ prepare() error }); ok {
		if err := pr.prepare(); err != nil {
			return nil, err
		}
	}
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

// keyedServer is what CurveServer and NoiseServer share besides their
// SecretKey field: the server side, and the public key derived once from
// the secret key.
type keyedServer struct {
	serverSide
	key serverKey
}

// handshake derives the server's public key from sec (who names the
// configuration in errors), builds one connection's state with newState,
// runs the server role of mech with it, and wipes the state's secrets
// afterwards if it has any.
func (k *keyedServer) handshake(ctx context.Context, c Conn, p *Params, mech, who string, sec SecretKey,
	newState func(pub PublicKey) (serverRole, error)) (*Result, error) {
	pub, err := k.key.get(who, sec)
	if err != nil {
		return nil, err
	}
	st, err := newState(pub)
	if err != nil {
		return nil, err
	}
	return withWipe(st, func() (*Result, error) { return serverHandshake(ctx, c, p, mech, st) })
}

// withWipe runs handshake, then wipes st's secrets if it keeps any.
func withWipe(st any, handshake func() (*Result, error)) (*Result, error) {
	if w, ok := st.(interface{ wipe() }); ok {
		defer w.wipe()
	}
	return handshake()
}

// keyedClient is what CurveClient and NoiseClient share besides their key
// fields: the client side, and the key pair generated or derived once.
type keyedClient struct {
	clientSide
	keys clientKeys
}

// open gets the client's key pair from keys, builds one connection's
// state and its HELLO with newState, and returns them as Opener.Open
// does: finish runs the client role after HELLO (closed as
// clientHandshake takes it) and wipes the state's secrets afterwards if it
// has any.
func (k *keyedClient) open(p *Params, closed string,
	keys func() (PublicKey, SecretKey, error),
	newState func(pub PublicKey, sec SecretKey) (clientRole, []byte, error)) ([]byte, Finish, error) {
	pub, sec, err := keys()
	if err != nil {
		return nil, nil, err
	}
	st, hello, err := newState(pub, sec)
	if err != nil {
		return nil, nil, err
	}
	return hello, func(ctx context.Context, c Conn) (*Result, error) {
		return withWipe(st, func() (*Result, error) { return clientHandshake(ctx, c, p, st, nil, closed) })
	}, nil
}
