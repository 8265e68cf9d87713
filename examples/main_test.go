package examples

import (
	"testing"

	"go.uber.org/goleak"
)

// The examples run as subprocesses; this checks the tests themselves leave
// no goroutine (the interop harness's and the process waiters).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
