// Package zmq4 is a bridge for programs written for go-zeromq/zmq4
// (v0.17.0): the same API, backed by zmesh's classic sockets (package
// patterns), so that such a program builds and works after changing its
// import path from github.com/go-zeromq/zmq4 to
// github.com/zmesh/zmesh/compat/zmq4 (and, if it uses them,
// .../security/plain and .../security/null to the packages of the same
// names beside this one). It then gains what zmesh has and zmq4 lacks:
// CURVE (MechanismSecurity), high-water marks that hold, heartbeats, TCP
// keepalive, a working Proxy, and several times zmq4's message rate.
//
// # What maps to what
//
//   - NewReq, NewRep, NewDealer, NewRouter, NewPub, NewSub, NewXPub,
//     NewXSub, NewPush, NewPull, NewPair: the patterns socket of that type.
//     The zmesh socket is made at the first Listen or Dial (or Send or
//     Recv), because a zmq4 Security's role depends on which comes first:
//     the listening side is the ZMTP server.
//   - Socket.Send and SendMulti: SendFrames (both send every frame of the
//     Msg as one multipart message, as in zmq4); Recv: RecvFrames. Msg is
//     zmq4's, with Frames; a ROUTER's received messages start with the
//     sender's identity frame, and its sends with the destination's.
//   - Listen: Bind; Dial: Connect. Endpoints are zmq4's: tcp://, ipc://,
//     inproc://; another transport gives UnknownTransportError.
//   - SetOption: OptionSubscribe and OptionUnsubscribe (a string or
//     []byte) on SUB and XSUB; OptionHWM (an int, 0 for no limit) sets the
//     send and receive high-water marks of a socket that has not listened
//     or dialed yet. GetOption returns what SetOption last set.
//   - WithID: Options.RoutingID; WithSecurity: Options.Mechanism and Auth;
//     WithDialerRetry: ReconnectInterval; WithDialerTimeout:
//     ConnectTimeout; WithTimeout: SendTimeout; WithLogger: Logger (as
//     text through log/slog). WithCtx and WithOptions are the bridge's own:
//     a zmesh context, and any other zmesh option (HWMs in messages and
//     bytes, Heartbeat, TCP keepalive, Linger, ReqCorrelate, XPubVerbose
//     ...).
//   - security/null: mechanism.Null; security/plain: mechanism.PlainClient
//     on a dialing socket, mechanism.PlainServer with an authenticator that
//     admits that one user on a listening one; MechanismSecurity: any zmesh
//     mechanism, CURVE (mechanism.CurveServer, CurveClient) included.
//   - NewProxy: patterns.ProxySteerable, with Pause, Resume, Kill and
//     Stats as its PAUSE, RESUME, TERMINATE and STATISTICS commands.
//
// # What differs
//
//   - The socket types follow libzmq 4.3, as zmesh does: a REQ sends and
//     receives strictly in turn (a second Send before the reply fails with
//     socket.ErrState), a PUB drops for a subscriber at its high-water mark,
//     a PUSH blocks when no PULL has room, a ROUTER drops a message for an
//     unknown identity.
//   - Without WithID a socket announces no identity and a ROUTER peer
//     makes one (zmq4 makes a random one on every socket).
//   - Dial returns once the connection's handshake succeeded, or fails after
//     WithDialerMaxRetries failed attempts (as zmq4), but an inproc Dial
//     returns at once and connects when the peer binds (libzmq's rule).
//     A connection lost later is always re-established, every
//     WithDialerRetry: WithAutomaticReconnect is accepted and ignored.
//   - A PLAIN server admits only the user name and password of its
//     Security (zmq4's admits any).
//   - Send queues the message (zmq4 writes it during the call); Close gives
//     queued messages 2 s (Linger, see WithOptions) to go out.
//   - Errors: an operation on a closed socket fails with an error matching
//     both ErrClosedConn and socket.ErrClosed; the others are zmesh's
//     (errors.Is with socket.ErrState, ErrHostUnreachable, ErrWouldBlock for
//     a send timeout, ...). ErrBadProperty is SetOption's and GetOption's.
//   - Msg.Type is always UsrMsg: ZMTP commands never reach the
//     application. Security is not zmq4's interface (Handshake, Encrypt,
//     Decrypt over a zmq4 Conn): it hands zmesh a mechanism instead, so a
//     hand-written zmq4 Security does not carry over. zmq4's low-level API
//     (Conn, Open, Metadata, Property, RegisterTransport) is not
//     provided; Cmd and its names, Queue and Transports are.
//
// # Contexts
//
// Every bridge socket lives in zmesh's default context, socket.DefaultCtx(),
// shared by the whole process, so that inproc endpoints connect bridge
// sockets as zmq4's process-wide inproc registry does; WithCtx puts a socket
// in another one. The context.Context given to a constructor is the
// socket's life line, as in zmq4: when it ends the socket closes, and it
// bounds every Send and Recv.
package zmq4
