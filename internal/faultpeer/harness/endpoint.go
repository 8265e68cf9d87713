package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// RestartableEndpoint returns a free loopback tcp endpoint whose port is
// below the kernel's ephemeral range, so a peer restarted on it does not
// find the port taken meanwhile by another program's outgoing connection.
func RestartableEndpoint(t testing.TB) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return fmt.Sprintf("tcp://127.0.0.1:%d", port)
	}
	t.Fatal("no free port in 20000..32000")
	return ""
}
