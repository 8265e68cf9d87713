// Package engine is what every zmesh socket type shares: one connection's
// life (greeting, security handshake, reader and writer goroutines,
// heartbeats, reconnection with backoff), pipes bounded by high-water
// marks, the fair-queued incoming side, inproc and udp links, and the
// monitor. Which peer a message goes to is not its business: the typed
// sockets in package patterns are routing policies over a Socket (SendLB,
// SendTo, WaitSend, Recv, and a Handler told of peers and commands).
//
// The types users see (Options, Msg, Ctx, errors, events) live in package
// socket, above the wire code and below this package; a Ctx's state is an
// internal/ctxstate.State, which the engine reaches by converting the
// *socket.Ctx it is given. Received bodies come from internal/bodypool and
// go back there through socket.Msg.Release.
//
// # How a message moves
//
// A send picks a pipe (the patterns package decides which) and appends the
// message to the pipe's queue under the pipe's mutex; the body is not
// copied. The connection's writer goroutine swaps the whole queue out in one
// step, encodes every message into one buffer (through the mechanism's
// codec, if any), and writes it with one syscall, flushing only when the
// queue is empty; large bodies go out with writev. The reader goroutine
// decodes every frame already in its 64 KiB buffer, copies small bodies
// into shared slabs, and pushes the batch into the pipe's incoming queue
// under one lock; receivers pop from the pipes in turn (fair queueing).
// Both hold their buffers only while bytes move: over tcp and ipc an idle
// reader waits for readability through the syscall.RawConn with no
// buffer, and an idle writer has given its encode buffer back.
// Over inproc a send appends straight into the peer's incoming queue, an
// inbox: senders fill one slice under its own lock, the receiver serves
// another and swaps the two when its slice runs out, so each side takes
// the other's lock once per batch, not per message (see inbox).
//
// A message of the classic types may be multipart (socket.Msg.Frames):
// it is still one entry of a queue, so the high-water marks count
// messages; the reader gathers its frames (bounded by socket.MaxFrames and
// MaxMsgSize) and queues it only at its last one, the writer encodes its
// frames back to back. A Handler that is also an Interceptor sees each
// incoming message before it is queued: ROUTER's routing id, REQ's reply
// check, SUB's filter and PUB's subscriptions live there.
//
// The bytes on the wire are internal/zmtp's: the engine encodes frame
// headers with zmtp.AppendHeader, decodes them with zmtp.ParseHeader over
// its own buffer, and builds and reads the greeting, PING, PONG and ERROR
// with zmtp's functions (package patterns does so for JOIN and LEAVE); it
// has no wire layout of its own. Under CURVE and NOISE the mechanism's
// codec writes each frame instead, on the same functions.
//
// # Goroutines
//
// A socket owns one goroutine per listener (accepting), one per connect
// endpoint (dialling and reconnecting, which also runs that connection's
// reader), one per accepted connection (its reader), one per udp link, and
// one writer per live connection. Accepted and dialled connections share
// one life once their handshake succeeds (runLink: the pipe goes up, the
// connection serves it, the pipe goes down). Close lingers until the pipes
// are written out (it waits on a signal each pipe broadcasts when it
// drains, not a timer), stops every goroutine and waits for them.
//
// # Lock order
//
// Outermost first; a goroutine holding one of these may take only those
// after it:
//
//  1. Socket.mu (endpoints, connections, the monitor, closing), then
//     Socket.idMu (routing ids): attach and detach take both, in that
//     order. idMu is also read alone, per routed message.
//  2. Pipe.mu (a pipe's outgoing side), then a fair-queue lock
//     (fairQueue.mu): deliverInproc holds the connecting socket's pipe
//     lock while it moves what was queued into the binding socket's
//     incoming queue, so that no send slips in between the move and the
//     switch to direct delivery; setClosed takes the pipe's own socket's
//     queue lock, under which inproc deliveries read the closed flag. The
//     fields each lock guards are listed on Pipe. The hazard: two sockets
//     can each connect to the other over inproc, so nothing may take a
//     pipe lock while holding a fair-queue lock, of any socket; only an
//     inbox lock comes after a fair-queue lock.
//  3. fairQueue.mu, then inbox.mu (an inproc pipe's senders' half): the
//     receiver swaps the batch in, and a send that finds the pipe at its
//     bound looks again, holding both. Senders take inbox.mu alone per
//     message and the fair-queue lock only after releasing it (to put a
//     parked pipe back in the ring). inbox.mu is innermost.
//  4. fairQueue.mu, then the receiving socket's filter (SetFilter): a
//     conflating inproc delivery runs it under the queue lock (other
//     inproc deliveries run it with no lock held). A filter may take only
//     a lock that is never held while calling into a socket (DISH's
//     membership read lock, see package patterns).
//
// The signals (sendReady, drained), conn.hbMu and the Ctx's state lock are
// leaves: broadcasts are made after the lock that decided them is
// released, a Ctx wakes and closes its sockets with its lock released.
// Socket.mu is held while an event is queued for the monitor, a
// non-blocking send. An Interceptor runs with no engine lock held, except
// when deliverInproc hands it what an inproc peer queued before the bind:
// then the peer's pipe lock is held, so an Interceptor must take only its
// own type's locks and never call back into a socket. Handler calls (PeerUp, PeerDown, Command) are made
// with no engine lock held, so a handler's own locks come before all of
// the engine's and a handler may call Pipe methods; over inproc,
// SendCommand calls the peer socket's handler on the sender's goroutine.
package engine
