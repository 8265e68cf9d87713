package zmq4bridge

import (
	"testing"

	"go.uber.org/goleak"
)

// The programs run as subprocesses; this checks the tests leave no
// goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
