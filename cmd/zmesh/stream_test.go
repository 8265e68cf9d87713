package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lukechampine.com/blake3"
)

// `zmesh put KEY @file` streams a file larger than a chunk; `get --raw`
// and `get --out` stream it back; `get --json` shows its BLAKE3 hash.
func TestPutGetStreamed(t *testing.T) {
	s := startServe(t, "-c", writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir())))
	c := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, append([]string{args[0], "--connect", s.endpoint}, args[1:]...)...)
	}
	dir := t.TempDir()
	val := make([]byte, 5<<20+77)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range val {
		val[i] = byte(r.Uint32())
	}
	file := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(file, val, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"demo/big", "cache/big"} {
		code, out, errOut := c("put", key, "@"+file)
		if code != 0 || out != "stored "+key+" (5242957 bytes, application/octet-stream)\n" {
			t.Fatalf("put %s: %d %q %s", key, code, out, errOut)
		}
		code, out, errOut = c("get", "--raw", key)
		if code != 0 || out != string(val) || errOut != "" {
			t.Fatalf("get --raw %s: %d, %d bytes, %s", key, code, len(out), errOut)
		}
		outFile := filepath.Join(dir, "out.bin")
		code, _, errOut = c("get", "--out", outFile, key)
		got, _ := os.ReadFile(outFile)
		if code != 0 || !bytes.Equal(got, val) {
			t.Fatalf("get --out %s: %d, %d bytes, %s", key, code, len(got), errOut)
		}
	}
	// Standard input larger than a chunk is streamed too (spooled to a
	// temporary file first: the hash comes before the chunks).
	list, _ := json.Marshal([]string{"put", "--connect", s.endpoint, "demo/stdin", "-"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runMainEnv+"="+string(list))
	cmd.Stdin = bytes.NewReader(val)
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "stored demo/stdin (5242957 bytes, application/octet-stream)\n" {
		t.Fatalf("put - : %v %s", err, out)
	}
	if code, out, errOut := c("get", "--raw", "demo/stdin"); code != 0 || out != string(val) {
		t.Fatalf("get --raw demo/stdin: %d, %d bytes, %s", code, len(out), errOut)
	}
	// A value that fits one message still gets a hash in --json.
	if code, _, errOut := c("put", "demo/small", "hello"); code != 0 {
		t.Fatal(errOut)
	}
	code, out, _ := c("get", "--json", "demo/small")
	var got []map[string]any
	sum := blake3.Sum256([]byte("hello"))
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 || got[0]["blake3"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("get --json: %d %v %s", code, err, out)
	}
	code, _, errOut := c("get", "--raw", "demo/none")
	if code != 1 || errOut != "zmesh get: demo/none: not found\n" {
		t.Fatalf("get --raw of a missing key: %d %q", code, errOut)
	}
}
