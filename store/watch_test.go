package store

import (
	"testing"
)

func TestFeedEndpointReachable(t *testing.T) {
	via := []string{"tcp://10.1.2.3:7447"}
	for _, c := range []struct{ bound, want string }{
		{"tcp://0.0.0.0:7448", "tcp://10.1.2.3:7448"},
		{"tcp://[::]:7448", "tcp://10.1.2.3:7448"},
		{"tcp://*:7448", "tcp://10.1.2.3:7448"},
		{"tcp://192.168.1.5:7448", "tcp://192.168.1.5:7448"},
		{"ipc:///run/feed.sock", "ipc:///run/feed.sock"},
		{"inproc://feed", "inproc://feed"},
	} {
		if got := reachable(c.bound, via); got != c.want {
			t.Errorf("reachable(%q) = %q, want %q", c.bound, got, c.want)
		}
	}
	// Reached through a non-tcp endpoint: the loopback address.
	if got := reachable("tcp://0.0.0.0:7448", []string{"inproc://x"}); got != "tcp://127.0.0.1:7448" {
		t.Errorf("got %q", got)
	}
}
