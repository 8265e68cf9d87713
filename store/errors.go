package store

import (
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/store/proto"
)

// Errors a client sees; test for them with errors.Is. A server's refusal
// reaches a client as a *proto.StatusError, which matches its
// proto.Status (errors.Is(err, proto.StatusReadOnly)).

// ErrClosed: the Client or Watcher has been closed (and, in package
// store/server, the Server).
var ErrClosed = errors.New("store: closed")

// Errors of a server's answer.
var (
	// ErrIncomplete: a query's FINAL counted more REPLY messages than
	// arrived, so the answer is missing some keys.
	ErrIncomplete = errors.New("store: incomplete answer")
	// ErrProtocol: the server sent something that is not a valid answer.
	ErrProtocol = errors.New("store: protocol violation")
)

// refuse returns a *proto.StatusError with status st and a formatted text,
// for a refusal the client makes itself (as a server would).
func refuse(st proto.Status, format string, args ...any) error {
	return &proto.StatusError{Status: st, Text: fmt.Sprintf(format, args...)}
}
