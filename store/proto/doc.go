// Package proto is the codec of the zmesh storage protocol: the binary
// messages storage clients and servers exchange over CLIENT/SERVER
// sockets, and the change-feed samples servers publish on a RADIO. The
// format is specified byte by byte in docs/storage-protocol.md; the tests
// check the code against that page's examples.
//
// # Messages
//
// Every message is one single-part ZMTP message: an 11-byte header
// (version, kind, flags, request id) and a body laid out per kind. A
// client sends PUT, DELETE or QUERY with a request id of its choosing;
// the server answers a QUERY with one REPLY per matching key, and every
// request with exactly one FINAL (a Status, a reply count and an optional
// text), all carrying the request's id. Many goroutines can therefore
// share one CLIENT socket: a reader routes each incoming message to the
// waiter for its id. SAMPLE messages (applied puts and deletes) use the
// same header with a sequence number in place of the request id.
//
// # Use
//
// Message holds any kind; AppendBinary encodes into a caller's buffer
// without allocating, Decode parses with every length checked, at most one
// allocation (the string fields), and Value pointing into the input.
// Anything Decode accepts re-encodes to the same bytes. Errors are
// *FormatError values matching ErrMalformed, ErrVersion or ErrTooLarge;
// PeekID recovers a request id even from a message of an unknown version
// so the server can answer it.
//
// A FINAL's Status is an error value: Message.Err turns a non-OK FINAL
// into a *StatusError a client can test with errors.Is(err,
// proto.StatusReadOnly), and StatusOf and NewFinal turn a server's error
// back into a FINAL.
//
// The codec checks lengths, not content: keys and key expressions are
// validated by the server with package keyexpr.
package proto
