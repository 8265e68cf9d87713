package mechanism

import (
	"errors"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
)

func TestMalformedLibzmqError(t *testing.T) {
	// libzmq 4.3's PLAIN server sends "^RROR" 03 "400" (see zmtp.IsMalformedError).
	body := []byte{0x5E, 'R', 'R', 'O', 'R', 3, '4', '0', '0'}
	err := Unexpected(body, "WELCOME")
	he, _ := err.(*HandshakeError)
	if he == nil || !he.Remote || he.Reason != "peer sent ERROR: 400" {
		t.Fatalf("got %#v", err)
	}
}

// TestWireErrorsAreHandshakeErrors: what zmtp refuses while a handshake
// decodes a command fails the handshake as a protocol error (no retry),
// with zmtp's reason.
func TestWireErrorsAreHandshakeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"command name past the body", Unexpected([]byte{9, 'R'}, "READY"), "command name length 9 runs past its 2-byte body"},
		{"empty command", Unexpected(nil, "READY"), "empty command"},
		{"metadata past the body", func() error {
			_, err := ExpectReady(AppendCommand(nil, zmtp.CmdReady, []byte("\x01a\x00\x00\x01\x00")))
			return err
		}(),
			`metadata property "a" announces 256 bytes, 0 left`},
		{"INITIATE with an empty property name", func() error {
			_, err := parsePlainInitiate(AppendCommand(nil, zmtp.CmdInitiate, []byte{0}))
			return err
		}(),
			"metadata property with an empty name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var he *HandshakeError
			if !errors.As(tc.err, &he) || he.Retry || he.Remote || he.Reason != tc.want || !errors.Is(tc.err, ErrHandshake) {
				t.Fatalf("got %#v, want a protocol *HandshakeError %q", tc.err, tc.want)
			}
		})
	}
	var pe *zmtp.ProtocolError
	if errors.As(protocolError(errors.New("other")), &pe) {
		t.Fatal("a non-zmtp error was converted")
	}
}
