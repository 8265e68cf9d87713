package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
)

// benchBound runs a bind-side bench in the background; wait returns its
// exit code and output, cancel ends an echoing side.
func benchBound(t *testing.T, args ...string) (wait func() (int, string), cancel func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	var (
		out, errOut bytes.Buffer
		code        int
		wg          sync.WaitGroup
	)
	wg.Add(1)
	go func() { defer wg.Done(); code = run(ctx, args, &out, &errOut) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return func() (int, string) { wg.Wait(); return code, out.String() + errOut.String() }, cancel
}

func decodeResult(t *testing.T, out string) benchResult {
	t.Helper()
	var res benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	return res
}

func TestBenchClassicThroughput(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		subs int // pub-sub: SUB processes, each bound
		more []string
	}{
		{typ: "push-pull"},
		{typ: "dealer-router"},
		{typ: "pub-sub", subs: 1},
		{typ: "pub-sub", subs: 3, more: []string{"--topics", "500"}},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.typ, tc.subs), func(t *testing.T) {
			const count = "20000"
			n := max(tc.subs, 1)
			var eps []string
			var waits []func() (int, string)
			for i := 0; i < n; i++ {
				ep := freeEndpoint(t)
				eps = append(eps, ep)
				w, _ := benchBound(t, append([]string{"bench", "thr", "--type", tc.typ, "--bind", ep, "--count", count, "--size", "64", "--json", "--progress", "0"}, tc.more...)...)
				waits = append(waits, w)
			}
			code, out, errOut := runCmd(t, append([]string{"bench", "thr", "--type", tc.typ, "--connect", strings.Join(eps, ","), "--count", count, "--size", "64", "--json"}, tc.more...)...)
			if code != 0 {
				t.Fatalf("sender: exit %d: %s", code, errOut)
			}
			if res := decodeResult(t, out); res.Role != "send" || res.Count != 20000 || res.Type != tc.typ {
				t.Fatalf("sender: %+v", res)
			}
			for i, w := range waits {
				code, out := w()
				if code != 0 {
					t.Fatalf("receiver %d: exit %d: %s", i, code, out)
				}
				// the bound line is on stderr, after the JSON on stdout
				if res := decodeResult(t, strings.SplitN(out, "\n", 2)[0]); res.Role != "recv" || res.Count != 20000 || res.Size != 64 {
					t.Fatalf("receiver %d: %+v", i, res)
				}
			}
		})
	}
}

func TestBenchClassicLatency(t *testing.T) {
	for _, typ := range []string{"req-rep", "dealer-router"} {
		t.Run(typ, func(t *testing.T) {
			ep := freeEndpoint(t)
			_, cancel := benchBound(t, "bench", "lat", "--type", typ, "--bind", ep)
			defer cancel()
			code, out, errOut := runCmd(t, "bench", "lat", "--type", typ, "--connect", ep, "--count", "500", "--size", "32", "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if res := decodeResult(t, out); res.Mode != "lat" || res.Count != 500 || res.Type != typ || res.LatencyUs["max"] <= 0 {
				t.Fatalf("%+v", res)
			}
		})
	}
}

func TestBenchClassicUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "thr", "--type", "req-rep", "--bind", "tcp://127.0.0.1:1"},
		{"bench", "lat", "--type", "push-pull", "--bind", "tcp://127.0.0.1:1"},
		{"bench", "lat", "--type", "pub-sub", "--connect", "tcp://127.0.0.1:1"},
		{"bench", "hs", "--type", "dealer-router", "--connect", "tcp://127.0.0.1:1"},
		{"bench", "thr", "--type", "push-pull", "--bind", "inproc://x"},
		{"bench", "thr", "--type", "push-pull", "--topics", "3", "--bind", "tcp://127.0.0.1:1"},
		{"bench", "thr", "--type", "scatter", "--topics", "3", "--bind", "inproc://x"},
		{"bench", "thr", "--type", "pub-sub", "--topics", "3", "--size", "4", "--bind", "tcp://127.0.0.1:1"},
		{"bench", "thr", "--type", "pub-sub", "--topics", "-1", "--bind", "tcp://127.0.0.1:1"},
		{"bench", "thr", "--type", "push-pull", "--connect", "tcp://127.0.0.1:1,tcp://127.0.0.1:2"},
		{"bench", "thr", "--type", "pushpull", "--bind", "tcp://127.0.0.1:1"},
	} {
		if code, _, errOut := runCmd(t, args...); code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// perfTool runs one of libzmq's perf tools to its end and returns its
// output.
func perfTool(t *testing.T, env *interop.Env, name string, args ...string) func() string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, env.Bin(name), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	var werr error
	wait := func() { once.Do(func() { werr = cmd.Wait(); cancel() }) }
	t.Cleanup(func() { _ = cmd.Process.Kill(); wait() })
	return func() string {
		wait()
		if werr != nil {
			t.Fatalf("%s: %v\n%s", name, werr, out.String())
		}
		return out.String()
	}
}

// The acceptance of issue 20: libzmq's remote_thr -> zmesh PULL, zmesh
// PUSH -> local_thr, zmesh REQ -> local_lat (and remote_lat -> zmesh REP),
// with the perf tools of the libzmq that scripts/install-libzmq.sh builds.
func TestBenchClassicAgainstLibzmqPerfTools(t *testing.T) {
	env := interop.Require(t)
	const count = "20000"

	t.Run("remote_thr-to-zmesh-pull", func(t *testing.T) {
		ep := freeEndpoint(t)
		wait, _ := benchBound(t, "bench", "thr", "--type", "push-pull", "--bind", ep, "--count", count, "--size", "16", "--json", "--progress", "0")
		time.Sleep(200 * time.Millisecond) // remote_thr does not wait for a peer before it sends
		perfOut := perfTool(t, env, "remote_thr", ep, "16", count)
		perfOut()
		code, out := wait()
		if code != 0 {
			t.Fatalf("zmesh PULL: exit %d: %s", code, out)
		}
		if res := decodeResult(t, strings.SplitN(out, "\n", 2)[0]); res.Count != 20000 || res.Size != 16 {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("zmesh-push-to-local_thr", func(t *testing.T) {
		ep := freeEndpoint(t)
		perfOut := perfTool(t, env, "local_thr", ep, "16", count)
		if code, _, errOut := runCmd(t, "bench", "thr", "--type", "push-pull", "--connect", ep, "--count", count, "--size", "16"); code != 0 {
			t.Fatalf("zmesh PUSH: exit %d: %s", code, errOut)
		}
		if out := perfOut(); !strings.Contains(out, "message count: "+count) {
			t.Fatalf("local_thr: %s", out)
		}
	})
	t.Run("zmesh-req-to-local_lat", func(t *testing.T) {
		ep := freeEndpoint(t)
		perfOut := perfTool(t, env, "local_lat", ep, "16", "2000")
		code, out, errOut := runCmd(t, "bench", "lat", "--type", "req-rep", "--connect", ep, "--count", "2000", "--size", "16", "--json")
		if code != 0 {
			t.Fatalf("zmesh REQ: exit %d: %s", code, errOut)
		}
		if res := decodeResult(t, out); res.Count != 2000 {
			t.Fatalf("%+v", res)
		}
		perfOut() // local_lat exits 0 after its 2000 round trips
	})
	t.Run("remote_lat-to-zmesh-rep", func(t *testing.T) {
		ep := freeEndpoint(t)
		_, cancel := benchBound(t, "bench", "lat", "--type", "req-rep", "--bind", ep)
		defer cancel()
		time.Sleep(200 * time.Millisecond)
		perfOut := perfTool(t, env, "remote_lat", ep, "16", "2000")
		if out := perfOut(); !strings.Contains(out, "roundtrip count: 2000") {
			t.Fatalf("remote_lat: %s", out)
		}
	})
}
