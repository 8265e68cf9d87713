// Package streamio holds the two ends of one streamed value
// (docs/storage-protocol.md §12), without sockets: the Sender cuts a value
// into CHUNK messages with their proofs and keeps within the credits it
// is granted; the Receiver checks each CHUNK's place (proto.RecvWindow),
// verifies it against the announced root (vstream.Verifier), and hands
// back the bytes to store and the CREDIT to answer. The storage server
// (a put's receiver, a reply's sender) and the client (the other way
// round) wire them to their sockets: a received chunk's bytes go to a
// pipe read by backend.Streamer.PutStream, a reply's chunks come from
// backend.Streamer.OpenStream.
//
// Neither end holds more than the chunk in hand: the Sender reads one
// chunk at a time from its reader into the caller's buffer, the Receiver
// returns the verified bytes of the chunk it was given.
package streamio
