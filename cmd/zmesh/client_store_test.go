package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lukechampine.com/blake3"
)

func TestPutGetDelete(t *testing.T) {
	s := startServe(t, "-c", writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir())))
	c := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, append([]string{args[0], "--connect", s.endpoint}, args[1:]...)...)
	}
	file := filepath.Join(t.TempDir(), "v.json")
	if err := os.WriteFile(file, []byte(`{"t": 21.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"put", "demo/greeting", "hello world"},
		{"put", "--encoding", "application/json", "demo/sensor", "@" + file},
		{"put", "demo/bin", "a\x00b"},
		{"put", "cache/x", "--", "-1"}, // "--" ends the flags: a value starting with "-"
		{"put", "demo", "the prefix itself"},
	} {
		if code, _, errOut := c(args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
	}
	code, out, _ := c("get", "demo/**")
	want := "demo\tthe prefix itself\ndemo/bin\t[3 bytes, application/octet-stream]\ndemo/greeting\thello world\ndemo/sensor\t{\"t\": 21.5}\n"
	if code != 0 || out != want {
		t.Fatalf("get demo/**: %d\n%s\nwant\n%s", code, out, want)
	}
	code, out, _ = c("get", "--json", "demo/*")
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 3 {
		t.Fatalf("get --json: %d %v %s", code, err, out)
	}
	if got[0]["key"] != "demo/bin" || got[0]["value_base64"] != nil || got[0]["value"] != "a\x00b" {
		t.Fatalf("binary-safe text: %v", got[0])
	}
	if v, ok := got[2]["value"].(map[string]any); !ok || v["t"] != 21.5 || got[2]["encoding"] != "application/json" {
		t.Fatalf("a JSON value: %v", got[2])
	}
	if ts, _ := got[1]["timestamp"].(string); !strings.Contains(ts, "Z/0/") {
		t.Fatalf("timestamp %q", ts)
	}
	if code, out, _ := c("get", "cache/x"); code != 0 || out != "cache/x\t-1\n" {
		t.Fatalf("get cache/x: %d %q", code, out)
	}
	if code, _, errOut := c("del", "demo/*"); code != 0 {
		t.Fatalf("del: %s", errOut)
	}
	code, out, errOut := c("get", "demo/**")
	if code != 0 || out != "demo\tthe prefix itself\n" {
		t.Fatalf("after del demo/*: %d %q %s", code, out, errOut)
	}
	code, out, errOut = c("get", "nothing/**")
	if code != 1 || out != "" || !strings.Contains(errOut, `zmesh get: storage server: no storage matches: no storage intersects "nothing/**"`) {
		t.Fatalf("get of no storage: %d %q %q", code, out, errOut)
	}
	code, out, errOut = c("get", "demo/none")
	if code != 1 || out != "" || errOut != "zmesh get: demo/none: not found\n" {
		t.Fatalf("get of a missing key: %d %q %q", code, out, errOut)
	}
	code, out, errOut = c("get", "demo/none/*")
	if code != 0 || out != "" || errOut != "zmesh get: no stored key matches demo/none/*\n" {
		t.Fatalf("get of nothing: %d %q %q", code, out, errOut)
	}
}

func TestClientCommandErrors(t *testing.T) {
	s := startServe(t, "-c", writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir())))
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"put", "demo/*", "x"}, 1, `zmesh put: storage server: wildcard in a put key: key "demo/*" has a wildcard at byte 5; a put needs a plain key`},
		{[]string{"put", "other/x", "x"}, 1, `zmesh put: storage server: no storage matches: no storage holds "other/x"`},
		{[]string{"get", "a//b"}, 1, `zmesh get: storage server: invalid key expression: key expression "a//b": empty chunk at byte 2`},
		{[]string{"del", "demo/**/**"}, 1, `"**/**" must be written "**"`},
		{[]string{"put", "demo/x", "@/nonexistent/file"}, 1, "no such file"},
		{[]string{"put", "demo/x"}, 2, "zmesh put: missing VALUE (or --value-file FILE)\nusage: zmesh put"},
		{[]string{"get"}, 2, "zmesh get: missing KEYEXPR\nusage: zmesh get"},
		{[]string{"del", "a", "b"}, 2, "zmesh del: unexpected argument \"b\" (it takes KEYEXPR)\nusage: zmesh del"},
		{[]string{"watch"}, 2, "zmesh watch: missing KEYEXPR\nusage: zmesh watch"},
		{[]string{"get", "--nope", "x"}, 2, "flag provided but not defined: -nope"},
	} {
		code, _, errOut := runCmd(t, append(c.args, "--connect", s.endpoint)...)
		if code != c.code || !strings.Contains(errOut, c.err) {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d with %q", c.args, code, errOut, c.code, c.err)
		}
	}
	// Nobody listening: refused, at once (see TestConnectionErrorsAtOnce).
	code, _, errOut := runCmd(t, "get", "--connect", "tcp://127.0.0.1:1", "--timeout", "100ms", "x")
	if code != 1 || !strings.Contains(errOut, "cannot connect to tcp://127.0.0.1:1: connection refused") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestWatchCommand(t *testing.T) {
	s := startServe(t, "-c", writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir())))
	big := filepath.Join(t.TempDir(), "big")
	bigVal := bytes.Repeat([]byte{0, 1, 2, 0xff}, 3<<20/4)
	if err := os.WriteFile(big, bigVal, 0o644); err != nil {
		t.Fatal(err)
	}
	bigSum := blake3.Sum256(bigVal)
	bigHash := hex.EncodeToString(bigSum[:])
	for _, asJSON := range []bool{false, true} {
		ctx, stop := context.WithCancel(context.Background())
		out, errOut := &syncBuffer{}, &syncBuffer{}
		done := make(chan int, 1)
		args := []string{"watch", "--connect", s.endpoint, "demo/**"}
		if asJSON {
			args = append(args, "--json")
		}
		go func() { done <- run(ctx, args, out, errOut) }()
		// Put until the watcher shows a change (it may join after the
		// first puts), then the ones the test checks.
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "demo/probe") {
			if time.Now().After(deadline) {
				t.Fatalf("watch saw nothing:\n%s\n%s", out, errOut)
			}
			runCmd(t, "put", "--connect", s.endpoint, "demo/probe", "p")
			time.Sleep(20 * time.Millisecond)
		}
		runCmd(t, "put", "--connect", s.endpoint, "cache/ignored", "x")
		runCmd(t, "put", "--connect", s.endpoint, "demo/a", "hello")
		runCmd(t, "del", "--connect", s.endpoint, "demo/a")
		// A streamed put: the feed carries its size and hash, not its value.
		runCmd(t, "put", "--connect", s.endpoint, "demo/big", "@"+big)
		want := []string{"PUT demo/a\thello\nDEL demo/a\n",
			"PUT demo/big\t[3145728 bytes, application/octet-stream, not carried: zmesh get --raw demo/big]\n"}
		if asJSON {
			want = []string{`"kind":"DELETE","key":"demo/a"`,
				`"key":"demo/big","value":null,"encoding":"application/octet-stream",`,
				`"blake3":"` + bigHash + `","storage":"demo","seq":`, `"size":3145728,"truncated":true}`}
		}
		for _, w := range want {
			for !strings.Contains(out.String(), w) {
				if time.Now().After(deadline) {
					t.Fatalf("watch printed:\n%s\nwant %q", out, w)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if strings.Contains(out.String(), "cache/ignored") {
			t.Fatalf("watch printed a key it does not watch:\n%s", out)
		}
		stop()
		if code := <-done; code != 0 || !strings.Contains(errOut.String(), "zmesh watch: watching demo/**") {
			t.Fatalf("watch exited %d: %s", code, errOut)
		}
	}
}

// A key expression matching a value over the server's max_value_size
// prints it as left out (as zmesh watch does), --json with its size and
// hash; --raw of a key expression matching it alone streams it.
func TestGetWildcardLargeValue(t *testing.T) {
	cfg := strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()) + "requests: {max_value_size: 1MiB}\n"
	s := startServe(t, "-c", writeConfig(t, cfg))
	big := filepath.Join(t.TempDir(), "big")
	bigVal := bytes.Repeat([]byte{0, 1, 2, 0xff}, 2<<20/4)
	if err := os.WriteFile(big, bigVal, 0o644); err != nil {
		t.Fatal(err)
	}
	bigSum := blake3.Sum256(bigVal)
	for _, args := range [][]string{{"demo/big", "@" + big}, {"demo/small", "hi"}} {
		if code, _, errOut := runCmd(t, append([]string{"put", "--connect", s.endpoint}, args...)...); code != 0 {
			t.Fatalf("put %s: exit %d: %s", args[0], code, errOut)
		}
	}
	code, out, errOut := runCmd(t, "get", "--connect", s.endpoint, "demo/**")
	want := "demo/big\t[2097152 bytes, application/octet-stream, not carried: zmesh get --raw demo/big]\ndemo/small\thi\n"
	if code != 0 || out != want {
		t.Fatalf("get: exit %d, stdout:\n%q\nwant %q\nstderr: %s", code, out, want, errOut)
	}
	code, out, errOut = runCmd(t, "get", "--connect", s.endpoint, "--json", "demo/**")
	for _, w := range []string{`"key": "demo/big",`, `"value": null,`, `"blake3": "` + hex.EncodeToString(bigSum[:]) + `",`,
		`"size": 2097152,`, `"truncated": true`, `"value": "hi",`} {
		if code != 0 || !strings.Contains(out, w) {
			t.Fatalf("get --json: exit %d, stdout:\n%s\nwant %q\nstderr: %s", code, out, w, errOut)
		}
	}
	code, out, errOut = runCmd(t, "get", "--connect", s.endpoint, "--raw", "demo/b$*")
	if code != 0 || out != string(bigVal) {
		t.Fatalf("get --raw of a key expression: exit %d, %d bytes, stderr: %s", code, len(out), errOut)
	}
}
