// Package patterns provides zmesh's typed sockets, each a routing policy
// over the socket engine, wire-compatible with libzmq 4.3's draft socket
// types:
//
//   - Client and Server (request-reply: Server.Route answers by routing id),
//   - Radio and Dish (group-based publish-subscribe, also over UDP),
//   - Scatter and Gather (pipeline).
//
// Every socket is safe for concurrent use. Blocking calls take a
// context.Context and honour the socket's send and receive timeouts; the
// Try variants never block and fail with socket.ErrWouldBlock. Messages are
// single-part.
package patterns
