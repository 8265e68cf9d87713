package mechanism

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind (harness proxies included).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
