package mechanism

import (
	"errors"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// The wire format of commands and metadata is package zmtp's; these names
// are what a Mechanism, the engine and the socket types see of it.

// Property is one metadata property: a name of 1 to 255 bytes and a value.
type Property = zmtp.Property

// Metadata is an ordered list of properties, as READY and INITIATE carry
// them. Its Get method looks a property up by name, case-insensitively (as
// the RFC says; libzmq compares case-sensitively, so properties are always
// sent with their exact spellings, "Socket-Type"), and Append encodes the
// list as a command's data.
type Metadata = zmtp.Metadata

// AppendCommand appends a command body to dst: the name's length (1
// byte), the name, then data. It is what Conn.WriteCommand sends. name
// must be 1 to 255 bytes; AppendCommand does not check it.
func AppendCommand(dst []byte, name string, data ...[]byte) []byte {
	return zmtp.AppendCommand(dst, name, data...)
}

// IsCommand reports whether body, as Conn.ReadCommand returns it, is the
// command called name; its data follows the name, at body[1+len(name):].
// It does not allocate.
func IsCommand(body []byte, name string) bool { return zmtp.IsCommand(body, name) }

// protocolError turns a zmtp decoding error into the *HandshakeError a
// handshake fails with (a protocol error: no retry); other errors pass
// through.
func protocolError(err error) error {
	if err == nil {
		return nil
	}
	var pe *zmtp.ProtocolError
	if errors.As(err, &pe) {
		return Protocolf("%s", pe.Msg)
	}
	return err
}

// parseMetadata decodes properties, failing as a handshake does.
func parseMetadata(b []byte) (Metadata, error) {
	md, err := zmtp.ParseMetadata(b)
	return md, protocolError(err)
}
