// Package patterns provides zmesh's typed sockets, each a routing policy
// over the socket engine, wire-compatible with libzmq 4.3. The draft
// socket types, whose messages are single-part:
//
//   - Client and Server (request-reply: Server.Route answers by routing id;
//     NewClientFunc makes a Client whose replies are taken as they are
//     read, rather than waiting in a queue for Recv),
//   - Radio and Dish (group-based publish-subscribe, also over UDP),
//   - Scatter and Gather (pipeline).
//
// The classic types, which every libzmq build, pyzmq and most bindings
// speak, with multipart messages (SendFrames and RecvFrames; one frame is
// a single-part message) over ZMTP 3.0 and 3.1:
//
//   - Req and Rep (request-reply in strict turn, envelopes handled as
//     libzmq does; Options.ReqRelaxed, ReqCorrelate),
//   - Dealer and Router (asynchronous request-reply: Router messages
//     start with the peer's routing id frame; Options.RoutingID,
//     RouterMandatory, RouterHandover, ProbeRouter),
//   - Pub and Sub, XPub and XSub (prefix subscriptions on the first
//     frame, filtered on both sides; XPub sees subscriptions, see
//     Options.XPubVerbose, XPubManual, XPubWelcome),
//   - Push and Pull (pipeline), Pair (exactly one peer).
//
// Poller waits on several sockets at once (zmq_poll's readiness rules),
// and Proxy and ProxySteerable forward between two sockets as zmq_proxy
// does (ROUTER/DEALER brokers, XSUB/XPUB forwarders, PULL/PUSH
// streamers), with a capture socket and PAUSE, RESUME, TERMINATE and
// STATISTICS on a control socket.
//
// Every socket is safe for concurrent use. Blocking calls take a
// context.Context and honour the socket's send and receive timeouts; the
// Try variants never block and fail with socket.ErrWouldBlock.
package patterns
