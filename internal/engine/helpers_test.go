package engine_test

import "testing"

// must fails the test at once if a setup step failed.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
