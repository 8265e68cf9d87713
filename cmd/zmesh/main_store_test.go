package main

import (
	"encoding/json"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// runMainEnv, when set, makes the test binary run main() with the JSON
// list of arguments it holds: tests start `zmesh serve` as a real process
// this way, to send it signals.
const runMainEnv = "ZMESH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if args := os.Getenv(runMainEnv); args != "" {
		var list []string
		if err := json.Unmarshal([]byte(args), &list); err != nil {
			panic(err)
		}
		os.Args = append([]string{"zmesh"}, list...)
		main() // exits
	}
	goleak.VerifyTestMain(m)
}
