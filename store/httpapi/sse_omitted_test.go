package httpapi

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/server"
)

// The event of a streamed put leaves the value out like a truncated one,
// with its size and BLAKE3 hash.
func TestEventOfStreamedPut(t *testing.T) {
	hash := [32]byte{0xab, 31: 0xcd}
	ev := string(renderEvent(server.Change{Storage: "s", Key: "big/v", Encoding: "text/plain",
		Omitted: true, Size: 3 << 20, Hash: hash}))
	want := `"key":"big/v","value":null,"encoding":"text/plain",`
	tail := `"storage":"s","size":3145728,"truncated":true,"blake3":"` + hex.EncodeToString(hash[:]) + `"}`
	if !strings.HasPrefix(ev, "event: PUT\ndata: ") || !strings.Contains(ev, want) || !strings.Contains(ev, tail) {
		t.Fatalf("event %q", ev)
	}
	ev = string(renderEvent(server.Change{Storage: "s", Key: "k", Value: []byte("small"), Encoding: "text/plain", Size: 5}))
	if strings.Contains(ev, "truncated") || strings.Contains(ev, "blake3") || !strings.Contains(ev, `"value":"small"`) {
		t.Fatalf("event of a small put %q", ev)
	}
}
