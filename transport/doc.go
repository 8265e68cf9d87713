// Package transport parses zmesh endpoints and moves bytes: it listens on and
// dials tcp and ipc streams, keeps the in-process (inproc) endpoint registry,
// and, for RADIO/DISH, sends and receives UDP datagrams.
//
// It knows nothing of ZMTP or socket types; the socket engine above it turns
// the byte streams into framed, handshaken connections.
//
// Endpoints use libzmq's syntax:
//
//	tcp://127.0.0.1:5555   tcp://127.0.0.1:*   tcp://[::1]:5555   tcp://*:5555
//	ipc:///tmp/feed.sock   ipc://@abstract      ipc://*
//	inproc://name
//	udp://239.0.0.1:5555   udp://lo;239.0.0.1:5555   udp://*:5555
package transport
