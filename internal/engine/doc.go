// Package socket is the engine under every zmesh socket type: the ZMTP 3.1
// codec (greeting, frames, commands), one connection's life (handshake,
// reader and writer goroutines, heartbeats, reconnection with backoff),
// pipes bounded by high-water marks, the fair-queued incoming side, socket.Msg,
// socket.Options, errors, the monitor, and Ctx.
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
// Over inproc a send appends straight into the peer's incoming queue.
//
// # Goroutines
//
// A socket owns one goroutine per listener (accepting), one per connect
// endpoint (dialling and reconnecting, which also runs that connection's
// reader), one per accepted connection (its reader), and one writer per
// live connection. Close stops them all and waits for them.
package engine
