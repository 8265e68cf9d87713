// Package socket holds the types every zmesh socket shares: the Options
// that configure one (high-water marks, timeouts, linger, heartbeats,
// reconnection, security mechanism), the messages it carries (Msg, Peer,
// RoutingID, and Msg.Release to give a received body's memory back), the
// Ctx that groups sockets (their inproc namespace; Shutdown and Close for
// all of them), the errors calls return (test them with errors.Is;
// SendError hands back an unsent message), and the events a socket's
// monitor reports (Event, EventType).
//
// The sockets themselves are in package patterns (Client, Server, Radio,
// Dish, Scatter, Gather). The engine under them (connections, pipes,
// heartbeats, reconnection) is internal to zmesh; this package is its
// public face and imports none of it.
package socket
