package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// bench store against a real server: every request answered, no errors,
// percentiles in order; --json is one object.
func TestBenchStore(t *testing.T) {
	cfg := writeConfig(t, "server: {bind: [\"tcp://127.0.0.1:*\"]}\nstorages:\n  b: {key_expr: bench/**, volume: memory}\n")
	s := startServe(t, "-c", cfg)
	for _, op := range []string{"put", "get"} {
		code, out, errOut := runCmd(t, "bench", "store", op, "--connect", s.endpoint, "--callers", "4", "--size", "100",
			"--keys", "50", "--duration", "300ms", "--json")
		if code != 0 {
			t.Fatalf("bench store %s: %d %s", op, code, errOut)
		}
		var r benchStoreResult
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("--json: %v: %q", err, out)
		}
		if r.Op != op || r.Callers != 4 || r.Size != 100 || r.Keys != 50 || r.Ops == 0 || r.Errors != 0 ||
			r.P50us <= 0 || r.P50us > r.P99us || r.P99us > r.P999us || r.Seconds < 0.3 {
			t.Errorf("bench store %s: %+v", op, r)
		}
	}
	code, out, _ := runCmd(t, "bench", "store", "get", "--connect", s.endpoint, "--keys", "3", "--duration", "100ms")
	if code != 0 || !strings.HasPrefix(out, "get: 1 callers, 64 B values, 3 keys, ") || !strings.Contains(out, " ops/s, p50 ") ||
		!strings.HasSuffix(out, " 0 errors\n") {
		t.Errorf("text output: %d %q", code, out)
	}
	// A server with no storage for bench's keys: every put is an error,
	// counted and shown.
	other := startServe(t, "-c", writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir())))
	code, out, _ = runCmd(t, "bench", "store", "put", "--connect", other.endpoint, "--duration", "100ms")
	if code != 0 || strings.Contains(out, " 0 errors\n") || !strings.Contains(out, "first error: ") {
		t.Errorf("puts the server refuses: %d %q", code, out)
	}
}

func TestBenchStoreUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "store"}, {"bench", "store", "scan"}, {"bench", "store", "put", "--callers", "0"},
		{"bench", "store", "put", "--size", "-1"}, {"bench", "store", "get", "--keys", "0"},
		{"bench", "store", "put", "--duration", "0s"}, {"bench", "store", "put", "extra"},
	} {
		if code, _, errOut := runCmd(t, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, out, _ := runCmd(t, "bench", "store", "put", "-h"); code != 0 || !strings.HasPrefix(out, "usage: zmesh bench store") {
		t.Errorf("-h: %d %q", code, out)
	}
}

// The histogram's percentiles are within its 1/64 precision.
func TestLatencyHistogram(t *testing.T) {
	var h latencyHistogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {0.999, 999 * time.Microsecond}, {0, time.Microsecond}} {
		got := h.quantile(c.q)
		if got > c.want || got < c.want-c.want/64 {
			t.Errorf("quantile(%v) = %v, want %v within 1/64", c.q, got, c.want)
		}
	}
	for _, ns := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 40, 1<<63 + 5} {
		b := histBucket(ns)
		if lo := histLow(b); lo > ns || ns-lo > lo/64 {
			t.Errorf("value %d: bucket %d starts at %d", ns, b, lo)
		}
	}
	var empty latencyHistogram
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram")
	}
}
