//go:build !linux

package backendtest

import (
	"os"
	"testing"
)

// Tmpfs mounts a tmpfs for full-disk tests: only on Linux. Elsewhere the
// test fails under CI=true and is skipped otherwise.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	msg := "the full-disk tests mount a tmpfs: Linux only"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
