package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// Errors of this package; test for them with errors.Is. Requests refused
// are answered with a *proto.StatusError, which matches its proto.Status.
var (
	// ErrClosed: the Server has been closed. It is store.ErrClosed, so a
	// program that holds clients and servers tests for one value.
	ErrClosed = store.ErrClosed
	// ErrInvalidOptions: a Server's Options or a Storage are not usable
	// (no socket, a storage without a store, a bad key expression...).
	ErrInvalidOptions = errors.New("store: invalid options")
)

// errNilContext refuses a nil context.Context, as the standard library's
// calls do: every call that takes one needs it to know when to give up.
var errNilContext = fmt.Errorf("store: nil context.Context: %w", socket.ErrInvalidInput)

// statusOf maps an error met while handling a request to the status the
// FINAL reports. Backend errors are mapped here (proto.StatusOf does not
// know them); everything else is proto.StatusOf's business.
func statusOf(err error) proto.Status {
	var se *proto.StatusError
	switch {
	case err == nil:
		return proto.StatusOK
	case errors.As(err, &se):
		return se.Status
	case errors.Is(err, backend.ErrReadOnly):
		return proto.StatusReadOnly
	case errors.Is(err, backend.ErrInvalidKey):
		return proto.StatusInvalidKeyExpr
	case errors.Is(err, backend.ErrInvalidEntry):
		return proto.StatusMalformed
	case errors.Is(err, backend.ErrClosed), errors.Is(err, context.Canceled):
		return proto.StatusUnavailable
	case errors.Is(err, backend.ErrTooLarge), errors.Is(err, backend.ErrFull):
		return proto.StatusTooLarge
	case errors.Is(err, backend.ErrStreamSize):
		return proto.StatusIntegrity
	case errors.Is(err, backend.ErrBackend):
		return proto.StatusBackend
	}
	return proto.StatusOf(err)
}

// finalFor builds the FINAL closing request id after count REPLY
// messages, with err's status and text.
func finalFor(id uint64, count uint32, err error) proto.Message {
	if err == nil {
		return proto.NewFinal(id, count, nil)
	}
	var se *proto.StatusError
	if errors.As(err, &se) {
		return proto.NewFinal(id, count, se)
	}
	return proto.NewFinal(id, count, &proto.StatusError{Status: statusOf(err), Text: err.Error()})
}

// keyRefusal turns a key expression error into a refusal whose text does
// not repeat its status: `"a//b": empty chunk at byte 2`.
func keyRefusal(err error, what string) error {
	var ke *keyexpr.Error
	if !errors.As(err, &ke) {
		return err
	}
	if errors.Is(err, keyexpr.ErrWild) {
		return refuse(proto.StatusWildcardKey, "%s %s has a wildcard at byte %d; a put needs a plain key", what, quote(ke.Expr), ke.Offset)
	}
	return refuse(proto.StatusInvalidKeyExpr, "%s %s: %v at byte %d", what, quote(ke.Expr), ke.Rule, ke.Offset)
}

// decodeRefusal turns a decoding error into a refusal that says what is
// wrong where: "PUT: key length at offset 11: 300 bytes, only 20 left".
func decodeRefusal(err error) error {
	var fe *proto.FormatError
	if !errors.As(err, &fe) {
		return err
	}
	text := strings.TrimPrefix(fe.Error(), fe.Err.Error()+": ")
	return refuse(proto.StatusOf(fe.Err), "%s", text)
}

// refuse returns a *proto.StatusError with status st and a formatted text:
// the way request handlers say exactly which status a refusal gets.
func refuse(st proto.Status, format string, args ...any) error {
	return &proto.StatusError{Status: st, Text: fmt.Sprintf(format, args...)}
}
