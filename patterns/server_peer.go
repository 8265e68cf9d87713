package patterns

// DisconnectPeer disconnects the peer with routing id id, as a server does
// to a peer that sends requests but never reads the answers. Before it
// returns, the messages queued for the peer are dropped and every Route to
// id, including those blocked at the peer's high-water mark, fails with
// socket.ErrHostUnreachable; its connection is then closed (the monitor
// reports socket.EventDisconnected). Messages already received from the
// peer can still be received. A CLIENT that reconnects gets a new routing
// id. An unknown id (never seen, or a peer that has gone) fails with
// socket.ErrHostUnreachable.
func (s *Server) DisconnectPeer(id RoutingID) error { return s.s.Kick(id) }
