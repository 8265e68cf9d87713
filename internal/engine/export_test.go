package engine

import (
	"fmt"

	"github.com/zmesh/zmesh/internal/ctxstate"
	"github.com/zmesh/zmesh/socket"
)

// SocketOf returns the engine under the one socket of type name (e.g.
// "CLIENT") in c, for tests that make their sockets with package patterns
// and then need the engine's own controls. It panics unless there is
// exactly one.
func SocketOf(c *socket.Ctx, name string) *Socket {
	var found []*Socket
	for _, m := range (*ctxstate.State)(c).Members() {
		if s, ok := m.(*Socket); ok && s.typ.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		panic(fmt.Sprintf("engine.SocketOf: %d sockets of type %s in the Ctx, want 1", len(found), name))
	}
	return found[0]
}
