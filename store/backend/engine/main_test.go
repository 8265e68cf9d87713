package engine

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		crashChild() // the durability test's subprocess; never returns
	}
	goleak.VerifyTestMain(m)
}
