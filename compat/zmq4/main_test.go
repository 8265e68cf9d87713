package zmq4

import (
	"testing"

	"go.uber.org/goleak"
)

// The real zmq4's PUB never stops its writer goroutine (it waits on a
// condition variable Close does not signal): that one is zmq4's, not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*pubMWriter).run"))
}
