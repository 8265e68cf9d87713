package server

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		crashServer() // the durability test's server subprocess; never returns
	}
	goleak.VerifyTestMain(m)
}
